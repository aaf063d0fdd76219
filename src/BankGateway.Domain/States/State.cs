namespace BankGateway.Domain.States;

/// <summary>
/// A state as a value: one of a fixed set of members, each spelled once as the text the database stores.
/// Compare members by reference or equality; <see cref="ToString"/> is the stored text.
/// </summary>
/// <param name="Text">What the database stores (and what a CHECK constraint lists).</param>
public abstract record State(string Text)
{
    public sealed override string ToString() => Text;
}
