// The `Imq:Samples` part of the configuration: whether the node serves its demo pages (the browser chat
// sample). Off by default, so that a production node serves no demo page.
namespace Imq.Backplane.Hosting;

public sealed partial class ImqOptions
{
    /// <summary><c>Imq:Samples</c>: the demo pages a node can serve; see <see cref="SamplesSection"/>.</summary>
    public SamplesSection Samples { get; set; } = new();

    /// <summary>The <c>Imq:Samples</c> section.</summary>
    public sealed class SamplesSection
    {
        /// <summary><c>Imq:Samples:Enabled</c>: serve the browser chat sample (static files: a page, the
        /// JavaScript client and the SignalR browser bundle) at <c>/samples/chat/</c>. The page mints no
        /// token and needs none of the node's secrets: its user pastes a token. Default false.</summary>
        public bool Enabled { get; set; }
    }
}
