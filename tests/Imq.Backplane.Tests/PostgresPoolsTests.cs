// The two PostgreSQL pools a node opens: the control plane's small one, and the application data pool,
// bounded unless the operator's connection string sets its own size (in any of Npgsql's spellings).
using Imq.Backplane.Cluster;
using Npgsql;

namespace Imq.Backplane.Tests;

public sealed class PostgresPoolsTests
{
    private const string Base = "Host=db;Username=imq;Database=imq";

    [Fact]
    public void Control_plane_gets_a_small_pool_of_its_own()
    {
        var control = new NpgsqlConnectionStringBuilder(PostgresPools.ForControl(Base + ";Maximum Pool Size=500"));
        Assert.Equal(PostgresPools.ControlPoolSize, control.MaxPoolSize);
        Assert.Equal("imq-control", control.ApplicationName);
    }

    [Fact]
    public void Data_pool_is_bounded_by_default()
    {
        var data = new NpgsqlConnectionStringBuilder(PostgresPools.ForData(Base));
        Assert.Equal(PostgresPools.DataPoolSize, data.MaxPoolSize);
        Assert.Equal("imq", data.ApplicationName);
    }

    [Theory]
    [InlineData("Maximum Pool Size=80")]
    [InlineData("maximum pool size=80")]
    [InlineData("MaxPoolSize=80")]
    public void Data_pool_keeps_the_size_the_connection_string_gives(string size)
    {
        var data = new NpgsqlConnectionStringBuilder(PostgresPools.ForData(Base + ";" + size));
        Assert.Equal(80, data.MaxPoolSize);
    }

    [Fact]
    public void A_password_that_merely_mentions_the_key_does_not_count_as_a_size()
    {
        var data = new NpgsqlConnectionStringBuilder(PostgresPools.ForData(Base + ";Password=MaxPoolSize"));
        Assert.Equal(PostgresPools.DataPoolSize, data.MaxPoolSize);
    }
}
