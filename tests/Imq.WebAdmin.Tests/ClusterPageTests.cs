// The cluster page: the bucket map as cells coloured by owner with replicas marked, version and bits, a
// legend; the nodes with the boss marked; a change of the map shown without a reload; drain with confirmation.
using Bunit;
using Imq.WebAdmin.Components.Pages;

namespace Imq.WebAdmin.Tests;

public sealed class ClusterPageTests : ConsoleTest
{
    [Fact]
    public void Draws_one_cell_per_bucket_coloured_by_owner_with_replicas_and_a_legend()
    {
        var page = Render<Cluster>();

        var cells = page.FindAll(".bucket");
        Assert.Equal(8, cells.Count);
        Assert.Equal(["n1", "n2", "n3"], cells.Select(c => c.GetAttribute("data-owner")).Distinct().Order());
        Assert.All(cells, c => Assert.Single(c.QuerySelectorAll(".rep")));
        Assert.Equal("n2", cells[0].QuerySelector(".rep")!.GetAttribute("data-replica"));
        var colours = cells.GroupBy(c => c.GetAttribute("data-owner")).ToDictionary(g => g.Key!, g => g.Select(c => c.GetAttribute("style")).Distinct().Single());
        Assert.Equal(3, colours.Values.Distinct().Count());
        Assert.Contains("Version</strong> 7", page.Find(".map-head").InnerHtml, StringComparison.Ordinal);
        Assert.Contains("Bits</strong> 3", page.Find(".map-head").InnerHtml, StringComparison.Ordinal);
        Assert.Equal(3, page.FindAll(".legend li[data-node]").Count);
        Assert.Contains("3 owned · 2 replicas", page.Find(".legend li[data-node=n1]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void Lists_the_nodes_with_state_levels_and_the_boss()
    {
        var page = Render<Cluster>();

        var rows = page.FindAll("table.nodes tbody tr");
        Assert.Equal(["n1", "n2", "n3"], rows.Select(r => r.GetAttribute("data-node")));
        Assert.NotNull(page.Find("tr[data-node=n1] .badge.boss"));
        Assert.Empty(page.FindAll("tr[data-node=n2] .badge.boss"));
        var n2 = page.Find("tr[data-node=n2]").QuerySelectorAll("td").Select(td => td.TextContent.Trim()).ToList();
        Assert.Equal("up", n2[1]);
        Assert.Equal("0.4 s", n2[2]);
        Assert.Equal("12", n2[5]);
    }

    [Fact]
    public void Shows_a_new_map_and_a_dead_node_without_a_reload()
    {
        var page = Render<Cluster>();
        Assert.Equal(3, page.FindAll(".bucket").Select(c => c.GetAttribute("data-owner")).Distinct().Count());

        Admin.Picture = Pictures.TwoNodes(version: 8);

        page.WaitForAssertion(() => Assert.Equal("8", page.Find(".bucketmap").GetAttribute("data-version")), Refresh);
        Assert.DoesNotContain(page.FindAll(".bucket"), c => c.GetAttribute("data-owner") == "n3");
        Assert.Equal("down", page.Find("tr[data-node=n3] .state").TextContent);
        Assert.Empty(page.FindAll("tr[data-node=n3] button"));
    }

    [Fact]
    public void Shows_deliveries_per_second_from_two_readings()
    {
        var page = Render<Cluster>();
        Admin.Picture = Pictures.ThreeNodes(version: 7, deliveries: 1_000_000);

        page.WaitForAssertion(() => Assert.NotEqual("0", page.Find("tr[data-node=n2] td:nth-child(8)").TextContent.Trim()), Refresh);
    }

    [Fact]
    public void Drain_asks_for_confirmation_then_drains_the_node()
    {
        var page = Render<Cluster>();

        page.Find("tr[data-node=n2] button.drain").Click();
        Assert.Empty(Admin.Drained);
        Assert.Contains("Drain n2?", page.Find("tr[data-node=n2] .confirm").TextContent, StringComparison.Ordinal);

        page.Find("tr[data-node=n2] .confirm button.danger").Click();

        Assert.Equal(["n2"], Admin.Drained);
        page.WaitForAssertion(() => Assert.Contains("n2 is draining", page.Find(".notice").TextContent, StringComparison.Ordinal));
    }

    [Fact]
    public void A_refused_drain_says_why_and_cancel_drains_nothing()
    {
        Admin.DrainError = "conflict: no other live queue node that is not draining can take the buckets of node n3";
        var page = Render<Cluster>();

        page.Find("tr[data-node=n2] button.drain").Click();
        page.Find("tr[data-node=n2] .confirm button:not(.danger)").Click();
        Assert.Empty(page.FindAll(".confirm"));

        page.Find("tr[data-node=n3] button.drain").Click();
        page.Find("tr[data-node=n3] .confirm button.danger").Click();

        page.WaitForAssertion(() => Assert.Contains("Could not drain n3: conflict", page.Find(".error").TextContent, StringComparison.Ordinal));
        Assert.Empty(Admin.Drained);
    }
}
