namespace BankGateway.Worker.Reconciliation;

/// <summary>A statement cannot be made now (its period has not ended): one sentence for the operator, exit 1.</summary>
internal sealed class StatementRefusedException(string message) : Exception(message);
