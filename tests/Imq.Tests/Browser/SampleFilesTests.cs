// The demo pages are served only by a node that asks for them (Imq:Samples:Enabled): a node with the
// default configuration answers 404 for the chat sample. (That an enabled node serves a working chat is
// shown in Chromium by JsClientTests.)
using Imq.Tests.Infrastructure;

namespace Imq.Tests.Browser;

public sealed class SampleFilesTests
{
    [Fact]
    public async Task A_node_serves_no_sample_by_default()
    {
        await using var node = await TestNode.StartAsync();

        foreach (var path in new[] { "/samples/chat/", "/samples/chat/index.html", "/samples/chat/imq-client/index.js" })
        {
            using var response = await node.Rest.GetAsync(new Uri(path, UriKind.Relative));
            Assert.Equal(System.Net.HttpStatusCode.NotFound, response.StatusCode);
        }
    }
}
