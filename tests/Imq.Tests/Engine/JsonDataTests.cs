// The neutral data form refuses what JSON readers elsewhere could not hold: numbers that do not fit a
// double (they would read as infinity) and nesting deeper than 32.
using Imq.QueueServer.Model;

namespace Imq.Tests.Engine;

public sealed class JsonDataTests
{
    [Theory]
    [InlineData("1e400")]
    [InlineData("-1e400")]
    [InlineData("[1, {\"a\": 2E+999}]")]
    [InlineData("1" + "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
        + "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
        + "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
        + "0000000000000000000000")]
    public void Numbers_out_of_range_of_a_double_are_invalid(string json)
    {
        var e = Assert.Throws<ImqException>(() => JsonData.Parse(json));
        Assert.Equal(ErrorCodes.Invalid, e.Code);
        Assert.Contains("out of range", e.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1e308", "1e308")]
    [InlineData("-1.7976931348623157e308", "-1.7976931348623157e308")]
    [InlineData("1e-400", "1e-400")]
    [InlineData("123456789012345678901234567890", "123456789012345678901234567890")]
    [InlineData("[ 0.5 , -0 ]", "[0.5,-0]")]
    public void Numbers_that_fit_a_double_are_kept_as_written(string json, string compact) =>
        Assert.Equal(compact, JsonData.Parse(json).ToString());
}
