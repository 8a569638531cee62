// ScaleOutConformance, users: sends to one user and to several reach every connection of each, on both servers.
namespace Imq.Conformance.Tests;

public abstract partial class ScaleOutConformance
{
    [Fact]
    public async Task SendUser_reaches_every_connection_of_the_user_on_both_servers()
    {
        var u = Unique("user");
        var a1 = await ConnectAsync(0, "a1", Unique("sender"));
        var a2 = await ConnectAsync(0, "a2", u);
        var b1 = await ConnectAsync(1, "b1", u);
        var b2 = await ConnectAsync(1, "b2", Unique("other"));
        var b3 = await ConnectAsync(1, "b3", u);

        var m = Unique("user-msg");
        await a1.InvokeAsync(nameof(ConformanceHub.SendUser), u, m);

        await AssertDeliveryAsync(m, sender: a1, to: [a2, b1, b3], notTo: [a1, b2]);
    }

    [Fact]
    public async Task SendUsers_reaches_every_connection_of_each_listed_user()
    {
        var u1 = Unique("u1");
        var u2 = Unique("u2");
        var u3 = Unique("u3");
        var a1 = await ConnectAsync(0, "a1", u3);
        var a2 = await ConnectAsync(0, "a2", u1);
        var a3 = await ConnectAsync(0, "a3", u2);
        var b1 = await ConnectAsync(1, "b1", u2);
        var b2 = await ConnectAsync(1, "b2", u3);
        var b3 = await ConnectAsync(1, "b3", u1);

        var m = Unique("users");
        await b2.InvokeAsync(nameof(ConformanceHub.SendUsers), new[] { u1, u2 }, m);

        await AssertDeliveryAsync(m, sender: b2, to: [a2, a3, b1, b3], notTo: [a1, b2]);
    }
}
