namespace BankGateway.Domain.States;

/// <summary>
/// The members of one state type and the moves allowed between them, as data. A move from <c>null</c>
/// is the creation of a row in that state.
/// </summary>
public sealed class StateMachine<T>
    where T : State
{
    private readonly HashSet<(T? From, T To)> _moves;

    public StateMachine(IReadOnlyList<T> members, IEnumerable<(T? From, T To)> moves)
    {
        Members = members;
        _moves = [.. moves];
    }

    /// <summary>Every member, in the order a screen lists them.</summary>
    public IReadOnlyList<T> Members { get; }

    /// <summary>Every allowed move, creation (from <c>null</c>) included.</summary>
    public IEnumerable<(T? From, T To)> Moves => _moves;

    /// <summary>Whether a row may go from <paramref name="from"/> (<c>null</c>: a new row) to <paramref name="to"/>.</summary>
    public bool CanMove(T? from, T to) => _moves.Contains((from, to));

    /// <summary>Whether no move leaves <paramref name="state"/>.</summary>
    public bool IsFinal(T state) => !_moves.Any(m => m.From == state);

    /// <summary>The member stored as <paramref name="text"/>.</summary>
    /// <exception cref="FormatException">No member is stored as that text.</exception>
    public T Parse(string text) =>
        Members.FirstOrDefault(m => m.Text == text)
        ?? throw new FormatException($"'{text}' is not a {typeof(T).Name} (one of {string.Join(", ", Members)}).");
}
