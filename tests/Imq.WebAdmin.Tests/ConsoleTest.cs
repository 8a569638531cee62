// The context every component test renders in: an interactive server renderer (so live pages start their
// refresh) and the fake console.
using Bunit;
using Imq.WebAdmin.Console;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;

namespace Imq.WebAdmin.Tests;

public abstract class ConsoleTest : BunitContext
{
    internal FakeAdminConsole Admin { get; } = new();

    protected ConsoleTest()
    {
        Services.AddSingleton<IAdminConsole>(Admin);
        SetRendererInfo(new RendererInfo("Server", isInteractive: true));
    }

    /// <summary>How long a test waits for the page's next refresh (once a second) to show a change.</summary>
    protected static readonly TimeSpan Refresh = TimeSpan.FromSeconds(5);
}
