// The services scripts/test.sh starts for the tests reach them through environment variables
// (IMQ_TEST_POSTGRES, IMQ_TEST_REDIS); a test run without them fails saying how to get them.
namespace Imq.Testing;

public static class TestEnvironment
{
    /// <summary>The value of <paramref name="variable"/>; if unset, fails naming the <paramref name="service"/> scripts/test.sh starts for it.</summary>
    public static string Required(string variable, string service)
    {
        var value = Environment.GetEnvironmentVariable(variable);
        return string.IsNullOrWhiteSpace(value)
            ? throw new InvalidOperationException($"{variable} is not set: run the tests with scripts/test.sh, which starts {service} and sets it.")
            : value;
    }
}
