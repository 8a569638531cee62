// Reads the stable error code out of a hub error as a client sees it: "... HubException: <code>: <detail>".
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.SignalR;

namespace Imq.Tests.Infrastructure;

public static partial class HubErrors
{
    public static async Task<string> CodeOf(Func<Task> call) => (await ErrorOf(call)).Code;

    /// <summary>The code and the whole message (the detail names the limit or rule that answered).</summary>
    public static async Task<(string Code, string Message)> ErrorOf(Func<Task> call)
    {
        var e = await Assert.ThrowsAsync<HubException>(call);
        var m = CodePattern().Match(e.Message);
        Assert.True(m.Success, $"no error code in: {e.Message}");
        return (m.Groups[1].Value, e.Message);
    }

    [GeneratedRegex(@"HubException: ([a-z_]+): ")]
    private static partial Regex CodePattern();
}
