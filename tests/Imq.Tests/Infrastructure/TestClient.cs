// A real SignalR client of ImqHub that records every server event in arrival order, so tests can
// wait for an event (with a timeout, never a sleep) and check what came before and after it.
using Imq.Hubs.ClientProtocol;
using Imq.QueueServer.Model;
using Imq.Testing;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Imq.Tests.Infrastructure;

public sealed class TestClient : RecordingClient<ClientEvent>
{
    private TestClient(HubConnection connection)
        : base(connection)
    {
        Record("Welcome", typeof(ClientWelcome));
        Record("Message", typeof(string), typeof(string), typeof(string), typeof(JsonData), typeof(long));
        Record("State", typeof(string), typeof(string), typeof(Dictionary<string, JsonData?>), typeof(long));
        Record("Presence", typeof(string), typeof(string), typeof(bool));
        Record("Joined", typeof(ClientSnapshot));
        Record("Left", typeof(string), typeof(string));
        Record("Mounted", typeof(string), typeof(ClientMountInfo));
        Record("Unmounted", typeof(string), typeof(string));
        Record("Direct", typeof(string), typeof(JsonData), typeof(string));
        Record("SessionEnded", typeof(string));
    }

    public IReadOnlyList<ClientEvent> Events => Log.Items;

    /// <summary>Starts <paramref name="connection"/> and returns its client once Welcome has arrived; disposes it if either fails.</summary>
    public static Task<TestClient> ConnectAsync(HubConnection connection) =>
        StartAsync(new TestClient(connection), (client, _) => client.WaitForAsync("Welcome"));

    /// <summary>A SignalR client of the hub at <paramref name="baseUrl"/>, with IMQ's data form on either protocol.</summary>
    public static HubConnection BuildConnection(Uri baseUrl, string? token, Wire wire, Action<IHubConnectionBuilder>? configure = null)
    {
        var builder = new HubConnectionBuilder()
            .WithUrl(new Uri(baseUrl, "/imq"), HttpTransportType.WebSockets, o =>
            {
                if (token is not null)
                {
                    o.AccessTokenProvider = () => Task.FromResult<string?>(token);
                }
            })
            .ConfigureLogging(l => l.SetMinimumLevel(LogLevel.Warning));
        if (wire == Wire.MessagePack)
        {
            builder.AddMessagePackProtocol(o => o.SerializerOptions = ImqMessagePack.Options);
        }
        else
        {
            builder.AddJsonProtocol(o => o.PayloadSerializerOptions.Converters.Add(new JsonDataJsonConverter()));
        }

        configure?.Invoke(builder);
        return builder.Build();
    }

    /// <summary>Waits for the first event named <paramref name="name"/> (matching <paramref name="match"/>) at or after index <paramref name="from"/>.</summary>
    public Task<ClientEvent> WaitForAsync(string name, Func<ClientEvent, bool>? match = null, int from = 0, TimeSpan? timeout = null) =>
        Log.WaitForAsync(
            events =>
            {
                for (var i = from; i < events.Count; i++)
                {
                    if (events[i].Name == name && (match is null || match(events[i])))
                    {
                        return (true, events[i]);
                    }
                }

                return (false, null!);
            },
            timeout ?? Timeouts.Event,
            events => $"no {name} event; got: {string.Join(", ", events.Select(e => e.Name))}");

    /// <summary>Waits until <paramref name="count"/> events named <paramref name="name"/> have arrived and returns them in order.</summary>
    public Task<List<ClientEvent>> WaitForCountAsync(string name, int count, Func<ClientEvent, bool>? match = null) =>
        Log.WaitForAsync(
            events =>
            {
                var found = events.Where(e => e.Name == name && (match is null || match(e))).ToList();
                return (found.Count >= count, found);
            },
            Timeouts.Event,
            events => $"{events.Count(e => e.Name == name && (match is null || match(e)))} of {count} {name} events");

    public int Count(string name) => Events.Count(e => e.Name == name);

    /// <summary>Acknowledges reliable messages: Ack with <paramref name="ids"/> as its one argument.</summary>
    public Task AckAsync(params string?[] ids) => InvokeAsync("Ack", (object)ids);

    private void Record(string name, params Type[] types)
    {
        Connection.On(name, types, args =>
        {
            Log.Add(new ClientEvent(name, args));
            return Task.CompletedTask;
        });
    }
}
