// What an app that scales out through AddImq() reads of IMQ's meter ("Imq"), as its own metrics exporter
// would: one gateway's pending bytes and its slow-consumer cuts, both observed when asked.
using System.Diagnostics.Metrics;

namespace Imq.Conformance.Tests;

public sealed class ImqMeterReader : IDisposable
{
    private const string PendingBytesName = "imq_gateway_pending_bytes";
    private const string CutsName = "imq_slow_consumer_cuts_total";

    private readonly MeterListener _listener = new();
    private readonly string _gateway;
    private long _cuts;
    private long _pending;

    public ImqMeterReader(string gateway)
    {
        _gateway = gateway;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == "Imq" && instrument.Name is PendingBytesName or CutsName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "gateway" && Equals(tag.Value, _gateway))
                {
                    if (instrument.Name == CutsName)
                    {
                        Volatile.Write(ref _cuts, value);
                    }
                    else
                    {
                        Volatile.Write(ref _pending, value);
                    }
                }
            }
        });
        _listener.Start();
    }

    /// <summary>Connections the gateway has cut for reading too slowly, now.</summary>
    public long Cuts
    {
        get
        {
            _listener.RecordObservableInstruments();
            return Volatile.Read(ref _cuts);
        }
    }

    /// <summary>The gateway's bytes written to connections and not yet taken by their transports, now.</summary>
    public long PendingBytes
    {
        get
        {
            _listener.RecordObservableInstruments();
            return Volatile.Read(ref _pending);
        }
    }

    public void Dispose() => _listener.Dispose();
}
