// GC pause time over one step: of every server process, as each reports it (IMQ's /metrics counter
// imq_gc_pause_microseconds_total, the peer's GET /bench/gc), and of this load process, whose pauses
// delay the receive timestamps just as much. The tail is mostly GC; this shows whose.
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;

namespace Imq.Bench.Load;

/// <summary>Milliseconds of GC pause during a step: all servers together, and the load process.</summary>
internal sealed record GcPauses(double ServersMs, double LoadMs);

internal sealed class GcPauseMeter : IDisposable
{
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(5) };
    private readonly Uri[] _servers;
    private readonly bool _imq;
    private double[] _before = [];
    private TimeSpan _self;

    /// <summary>Reads <paramref name="servers"/>; IMQ's /metrics with <paramref name="apiKey"/>, which it asks for.</summary>
    public GcPauseMeter(Uri[] servers, bool imq, string? apiKey)
    {
        _servers = servers;
        _imq = imq;
        if (apiKey is not null)
        {
            _http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", apiKey);
        }
    }

    public static GcPauseMeter From(Args a) =>
        new([.. a.List("urls").Select(u => new Uri(u))], a.Get("kind", "imq") == "imq", a["apikey"]);

    public async Task StartAsync()
    {
        _before = await ReadAsync();
        _self = GC.GetTotalPauseDuration();
    }

    public async Task<GcPauses?> StopAsync()
    {
        var load = (GC.GetTotalPauseDuration() - _self).TotalMilliseconds;
        var now = await ReadAsync();
        if (now.Length != _before.Length || now.Concat(_before).Any(double.IsNaN))
        {
            return null;
        }

        return new GcPauses(Math.Round(now.Zip(_before, (after, before) => after - before).Sum(), 1), Math.Round(load, 1));
    }

    public void Dispose() => _http.Dispose();

    private Task<double[]> ReadAsync() => Task.WhenAll(_servers.Select(ReadOneAsync));

    /// <summary>The server's total GC pause so far in ms, NaN when it could not be read.</summary>
    private async Task<double> ReadOneAsync(Uri server)
    {
        try
        {
            if (!_imq)
            {
                var answer = await _http.GetFromJsonAsync<JsonElement>(new Uri(server, "/bench/gc"));
                return answer.GetProperty("pauseMicroseconds").GetInt64() / 1000.0;
            }

            // A sample line: name, its (here empty) labels, a space, the value.
            const string Name = "imq_gc_pause_microseconds_total";
            var text = await _http.GetStringAsync(new Uri(server, "/metrics"));
            var line = text.Split('\n').FirstOrDefault(l => l.StartsWith(Name + "{", StringComparison.Ordinal) || l.StartsWith(Name + " ", StringComparison.Ordinal));
            return line is null ? double.NaN : double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture) / 1000.0;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException or FormatException)
        {
            return double.NaN;
        }
    }
}
