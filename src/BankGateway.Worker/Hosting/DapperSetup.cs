using System.Data;
using BankGateway.Domain.States;
using Dapper;

namespace BankGateway.Worker.Hosting;

/// <summary>Dapper conventions for our schema: snake_case columns, DateOnly as PostgreSQL date, states as their stored text.</summary>
internal static class DapperSetup
{
    private static int _done;

    public static void Apply()
    {
        if (Interlocked.Exchange(ref _done, 1) == 1) return;
        DefaultTypeMap.MatchNamesWithUnderscores = true;
        SqlMapper.AddTypeHandler(new DateOnlyHandler());
        SqlMapper.AddTypeHandler(new StateHandler<VoucherStatus>(VoucherStatus.Machine));
        SqlMapper.AddTypeHandler(new StateHandler<ReturnStatus>(ReturnStatus.Machine));
        SqlMapper.AddTypeHandler(new StateHandler<DeliveryOutcome>(DeliveryOutcome.Machine));
        SqlMapper.AddTypeHandler(new StateHandler<FileDeliveryState>(FileDeliveryState.Machine));
    }

    // A state is written as its text and read back as the member: C# never spells a status literal.
    private sealed class StateHandler<T>(StateMachine<T> machine) : SqlMapper.TypeHandler<T>
        where T : State
    {
        public override void SetValue(IDbDataParameter parameter, T? value)
        {
            parameter.DbType = DbType.String;
            parameter.Value = (object?)value?.Text ?? DBNull.Value;
        }

        public override T Parse(object value) => machine.Parse((string)value);
    }

    private sealed class DateOnlyHandler : SqlMapper.TypeHandler<DateOnly>
    {
        public override void SetValue(IDbDataParameter parameter, DateOnly value)
        {
            parameter.DbType = DbType.Date;
            parameter.Value = value;
        }

        public override DateOnly Parse(object value) => value switch
        {
            DateOnly d => d,
            DateTime dt => DateOnly.FromDateTime(dt),
            _ => throw new DataException($"cannot read {value.GetType().Name} as a date"),
        };
    }
}
