using System.Data;
using Dapper;

namespace BankGateway.Worker.Hosting;

/// <summary>Dapper conventions for our schema: snake_case columns, DateOnly as PostgreSQL date.</summary>
internal static class DapperSetup
{
    private static int _done;

    public static void Apply()
    {
        if (Interlocked.Exchange(ref _done, 1) == 1) return;
        DefaultTypeMap.MatchNamesWithUnderscores = true;
        SqlMapper.AddTypeHandler(new DateOnlyHandler());
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
