// The engine's bounds (Imq:Limits): mounts per queue, keys and bytes per state mount, members per queue.
// Each refusal is too_large, names its limit and leaves the queue as it was; a queue installed from an
// image (a replica taking over) is never refused.
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Imq.QueueServer.Engine;
using Imq.QueueServer.Model;

namespace Imq.Tests.Engine;

public sealed class QueueLimitsTests
{
    private readonly RecordingGateway _gateway = new();

    [Fact]
    public async Task A_queue_has_at_most_the_mount_limit_and_still_works_when_refused()
    {
        var engine = new QueueEngine(new QueueEngineOptions());
        var tooMany = Enumerable.Range(0, 65).Select(i => new MountSpec($"m{i}", MountType.Message)).ToArray();
        var refused = Assert.Throws<ImqException>(() => engine.CreateQueue("/room/many", tooMany));
        Assert.Equal(ErrorCodes.TooLarge, refused.Code);
        Assert.Contains("Imq:Limits:MaxMountsPerQueue", refused.Detail, StringComparison.Ordinal);
        Assert.False(engine.Exists("/room/many"));

        Assert.True(engine.CreateQueue("/room/many", tooMany[..64]));
        var e = await Assert.ThrowsAsync<ImqException>(async () => await engine.MountAsync("/room/many", "m64", MountType.Message));
        Assert.Equal(ErrorCodes.TooLarge, e.Code);
        Assert.Contains("64 mounts per queue", e.Detail, StringComparison.Ordinal);

        // An existing mount is still answered (nothing is added), and the queue works.
        Assert.Equal(0, await engine.MountAsync("/room/many", "m0", MountType.Message));
        Assert.Equal(1, await engine.SendAsync("/room/many", "m63", null, JsonData.Parse("1")));
        var snapshot = await engine.SnapshotAsync("/room/many");
        Assert.Equal(64, snapshot.Mounts.Count);
        Assert.Equal(1, snapshot.Seq);

        await engine.UnmountAsync("/room/many", "m0");
        Assert.Equal(3, await engine.MountAsync("/room/many", "m64", MountType.Message));
    }

    [Fact]
    public async Task A_state_change_past_the_key_limit_is_refused_whole()
    {
        var engine = new QueueEngine(new QueueEngineOptions());
        engine.CreateQueue("/game/keys", [new("score", MountType.State)]);
        var thousand = Enumerable.Range(0, 1000).ToDictionary(i => $"k{i}", i => (JsonData?)JsonData.Parse("1"));
        var version = await engine.SetStateAsync("/game/keys", "score", thousand, null);

        var e = await Assert.ThrowsAsync<ImqException>(async () => await engine.SetStateAsync(
            "/game/keys", "score", new Dictionary<string, JsonData?> { ["k0"] = JsonData.Parse("2"), ["new"] = JsonData.Parse("1") }, null));
        Assert.Equal(ErrorCodes.TooLarge, e.Code);
        Assert.Contains("1000 keys per state mount (Imq:Limits:MaxKeysPerStateMount)", e.Detail, StringComparison.Ordinal);
        var mount = (await engine.SnapshotAsync("/game/keys")).Mounts.Single();
        Assert.Equal(version, mount.Version);
        Assert.Equal(1000, mount.State!.Count);
        Assert.Equal("1", mount.State["k0"].ToString());

        // Replacing keys, or deleting one and adding one in the same change, stays within the limit.
        await engine.SetStateAsync("/game/keys", "score", new Dictionary<string, JsonData?> { ["k0"] = JsonData.Parse("2") }, null);
        await engine.SetStateAsync("/game/keys", "score", new Dictionary<string, JsonData?> { ["k1"] = null, ["new"] = JsonData.Parse("1") }, null);
        mount = (await engine.SnapshotAsync("/game/keys")).Mounts.Single();
        Assert.Equal(1000, mount.State!.Count);
        Assert.True(mount.State.ContainsKey("new"));
    }

    [Fact]
    public async Task A_state_change_past_the_byte_limit_is_refused_whole()
    {
        var engine = new QueueEngine(new QueueEngineOptions());
        engine.CreateQueue("/game/bytes", [new("score", MountType.State)]);
        var sixtyK = JsonData.Parse("\"" + new string('x', 60_000) + "\"");
        for (var i = 0; i < 4; i++)
        {
            await engine.SetStateAsync("/game/bytes", "score", new Dictionary<string, JsonData?> { [$"k{i}"] = sixtyK }, null);
        }

        var before = (await engine.SnapshotAsync("/game/bytes")).Mounts.Single();
        var e = await Assert.ThrowsAsync<ImqException>(async () => await engine.SetStateAsync(
            "/game/bytes", "score", new Dictionary<string, JsonData?> { ["small"] = JsonData.Parse("1"), ["k4"] = sixtyK }, null));
        Assert.Equal(ErrorCodes.TooLarge, e.Code);
        Assert.Contains("262144 bytes per state mount (Imq:Limits:MaxBytesPerStateMount)", e.Detail, StringComparison.Ordinal);
        var after = (await engine.SnapshotAsync("/game/bytes")).Mounts.Single();
        Assert.Equal(before.Version, after.Version);
        Assert.Equal(before.State!.Keys.Order(), after.State!.Keys.Order());

        // Making a value smaller always fits.
        await engine.SetStateAsync("/game/bytes", "score", new Dictionary<string, JsonData?> { ["k0"] = JsonData.Parse("0"), ["k4"] = sixtyK }, null);
        Assert.Equal(5, (await engine.SnapshotAsync("/game/bytes")).Mounts.Single().State!.Count);
    }

    [Fact]
    public void The_running_size_of_a_state_mount_is_its_compact_JSON_size()
    {
        var random = new Random(7);
        var mount = new Mount("s", MountType.State);
        var relaxed = new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        for (var step = 0; step < 2000; step++)
        {
            var key = "key" + random.Next(50);
            var value = random.Next(4) switch
            {
                0 => null,
                1 => JsonData.Parse(random.Next(-1000, 1000).ToString(System.Globalization.CultureInfo.InvariantCulture)),
                2 => JsonData.Parse($"{{\"name\":\"{new string('é', random.Next(5))}\",\"list\":[1,2,{random.Next(9)}]}}"),
                _ => JsonData.Parse("\"" + new string('v', random.Next(40)) + "\""),
            };
            mount.Set(key, value);

            using var buffer = new MemoryStream();
            using (var writer = new Utf8JsonWriter(buffer, relaxed))
            {
                writer.WriteStartObject();
                foreach (var (k, v) in mount.State!)
                {
                    writer.WritePropertyName(k);
                    writer.WriteRawValue(v.Utf8.Span, skipInputValidation: true);
                }

                writer.WriteEndObject();
            }

            Assert.Equal(buffer.Length, mount.StateBytes);
        }

        Assert.Equal(Encoding.UTF8.GetByteCount("{}"), new Mount("e", MountType.State).StateBytes);
    }

    [Fact]
    public async Task A_queue_has_at_most_the_member_limit_and_a_user_moving_connections_adds_none()
    {
        var engine = new QueueEngine(new QueueEngineOptions(), new QueueLimits { MaxMembers = 3 });
        engine.CreateQueue("/room/full", [new("chat", MountType.Message)]);
        var alice = new TestSubscriber("alice", _gateway);
        var server = new TestSubscriber(null, _gateway, isListener: true);
        await engine.JoinAsync("/room/full", alice);
        await engine.JoinAsync("/room/full", new TestSubscriber("bob", _gateway));
        await engine.JoinAsync("/room/full", server);

        var carol = new TestSubscriber("carol", _gateway);
        var e = await Assert.ThrowsAsync<ImqException>(async () => await engine.JoinAsync("/room/full", carol));
        Assert.Equal(ErrorCodes.TooLarge, e.Code);
        Assert.Contains("3 members per queue (Imq:Limits:MaxMembersPerQueue)", e.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(_gateway.Of(alice).OfType<PresenceEvent>(), p => p.UserId == "carol");
        await Assert.ThrowsAsync<ImqException>(async () => await engine.ResumeAsync("/room/full", carol, 0));

        // Joining again, and a newer connection of a member taking its place, add no member.
        await engine.JoinAsync("/room/full", alice);
        await engine.JoinAsync("/room/full", server);
        var aliceAgain = new TestSubscriber("alice", _gateway);
        await engine.JoinAsync("/room/full", aliceAgain);
        Assert.Equal(["alice", "bob"], (await engine.SnapshotAsync("/room/full")).Members.Order());

        await engine.LeaveAsync("/room/full", server);
        Assert.Equal(["alice", "bob", "carol"], (await engine.JoinAsync("/room/full", carol)).Members.Order());
    }

    [Fact]
    public async Task A_queue_installed_from_an_image_is_taken_as_it_is_even_over_the_limits()
    {
        var owner = new QueueEngine(new QueueEngineOptions());
        owner.CreateQueue("/room/big", [new("score", MountType.State), new("chat", MountType.Message), new("more", MountType.Message)]);
        await owner.SetStateAsync("/room/big", "score", Enumerable.Range(0, 10).ToDictionary(i => $"k{i}", _ => (JsonData?)JsonData.Parse("12345")), null);
        foreach (var user in new[] { "a", "b", "c", "d" })
        {
            await owner.JoinAsync("/room/big", new TestSubscriber(user, _gateway));
        }

        var image = await owner.ExportAsync("/room/big", i => i);
        var replica = new QueueEngine(new QueueEngineOptions(), new QueueLimits { MaxMounts = 1, MaxMembers = 2, MaxStateKeys = 3, MaxStateBytes = 20 });
        replica.Install(image!);

        var snapshot = await replica.SnapshotAsync("/room/big");
        Assert.Equal(3, snapshot.Mounts.Count);
        Assert.Equal(4, snapshot.Members.Count);
        Assert.Equal(10, snapshot.Mounts[0].State!.Count);

        // Over a lowered limit, a change that does not grow the mount still goes through; one that grows it does not.
        await replica.SetStateAsync("/room/big", "score", new Dictionary<string, JsonData?> { ["k0"] = null }, null);
        var e = await Assert.ThrowsAsync<ImqException>(async () => await replica.SetStateAsync("/room/big", "score", new Dictionary<string, JsonData?> { ["new"] = JsonData.Parse("1") }, null));
        Assert.Equal(ErrorCodes.TooLarge, e.Code);
    }
}
