// This node, as the owner of buckets, to one node holding replicas of some of them: the changes bound
// for that replica in the order they were made (each with a position of this stream), and the gRPC
// stream that carries them. A new stream, and a bucket newly replicated there, starts with images of
// the bucket's queues; the replica skips changes its images already hold. Callers wait for the
// replica's acknowledgement before answering theirs, so nothing acknowledged is missing there.
using Grpc.Core;
using Imq.Backplane.Cluster;
using Imq.Backplane.Wire;
using Microsoft.Extensions.Logging;

namespace Imq.Backplane.Replication;

internal sealed partial class ReplicaLink : IAsyncDisposable
{
    private const int MaxBatchEntries = 512;

    private readonly object _gate = new();
    private readonly Queue<JournalEntry> _unsent = new();
    private readonly List<(long Position, TaskCompletionSource Done)> _waiters = [];
    private readonly HashSet<int> _imagesDue = [];
    private readonly HashSet<int> _dropsDue = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly ReplicaImages _images;
    private readonly NodeChannels _channels;
    private readonly ILogger _logger;
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _bits;
    private bool _resync = true;
    private long _head;
    private long _acked;
    private long _framesSent;
    private readonly RetryLog _retries;
    private int _failures;
    private long _framesAcked;
    private long _lastImageFrame;
    private bool _capturing;
    private Task? _run;
    private int _disposed;

    public ReplicaLink(string selfId, string nodeId, Func<string?> url, ReplicaImages images, NodeChannels channels, ILogger logger)
    {
        SelfId = selfId;
        NodeId = nodeId;
        Url = url;
        _images = images;
        _channels = channels;
        _logger = logger;
        _retries = new RetryLog(logger, $"Replication stream to {nodeId}");
    }

    public string SelfId { get; }

    /// <summary>The node holding the replicas.</summary>
    public string NodeId { get; }

    private Func<string?> Url { get; }

    /// <summary>The position of the newest change bound for the replica.</summary>
    public long Head
    {
        get
        {
            lock (_gate)
            {
                return _head;
            }
        }
    }

    public void Start() => _run ??= Task.Run(RunAsync);

    /// <summary>Queues one change for the replica; called in the order the changes are made.</summary>
    public void Append(JournalEntry entry)
    {
        lock (_gate)
        {
            entry.Position = ++_head;
            _unsent.Enqueue(entry);
            Wake();
        }
    }

    /// <summary>The replica is to hold these buckets from now on: send images of them before more changes.</summary>
    public void ImagesDue(IEnumerable<int> buckets, int bits)
    {
        lock (_gate)
        {
            var due = Rebase(buckets, bits);
            _imagesDue.UnionWith(due);
            _dropsDue.ExceptWith(due);
            Wake();
        }
    }

    /// <summary>The replica no longer holds these buckets for this node.</summary>
    public void DropsDue(IEnumerable<int> buckets, int bits)
    {
        lock (_gate)
        {
            var due = Rebase(buckets, bits);
            _dropsDue.UnionWith(due);
            _imagesDue.ExceptWith(due);
            Wake();
        }
    }

    /// <summary>Completes once the replica holds every change up to <paramref name="position"/>.</summary>
    public Task WaitAckedAsync(long position)
    {
        lock (_gate)
        {
            if (_acked >= position)
            {
                return Task.CompletedTask;
            }

            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((position, done));
            return done.Task;
        }
    }

    /// <summary>True when the replica holds everything bound for it so far (and owes no image).</summary>
    public bool IsCaughtUp
    {
        get
        {
            lock (_gate)
            {
                return HoldsLocked(_head);
            }
        }
    }

    /// <summary>True when the replica holds every change up to <paramref name="position"/> (and owes no image):
    /// changes made later, to other buckets, need not have reached it.</summary>
    public bool Holds(long position)
    {
        lock (_gate)
        {
            return HoldsLocked(position);
        }
    }

    private bool HoldsLocked(long position) =>
        !_resync && !_capturing && _imagesDue.Count == 0 && _framesAcked >= _lastImageFrame && _acked >= position;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync();
        if (_run is not null)
        {
            await _run.ContinueWith(static _ => { }, TaskScheduler.Default);
        }

        _stop.Dispose();
    }

    /// <summary>Bucket numbers in this link's table: buckets split when the table doubles (bucket b of
    /// fewer bits is buckets b·2^k … (b+1)·2^k - 1 of k more bits), so both sides move to the larger table.</summary>
    private HashSet<int> Rebase(IEnumerable<int> buckets, int bits)
    {
        if (bits > _bits)
        {
            var grow = bits - _bits;
            var images = Split(_imagesDue, grow);
            var drops = Split(_dropsDue, grow);
            _imagesDue.Clear();
            _imagesDue.UnionWith(images);
            _dropsDue.Clear();
            _dropsDue.UnionWith(drops);
            _bits = bits;
        }

        return Split(buckets, _bits - bits);
    }

    private static HashSet<int> Split(IEnumerable<int> buckets, int grow) =>
        grow == 0 ? [.. buckets] : [.. buckets.SelectMany(b => Enumerable.Range(b << grow, 1 << grow))];

    private void Wake()
    {
        var wake = _wake;
        _wake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        wake.TrySetResult();
    }

    private async Task RunAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                if (Url() is not { } url)
                {
                    await Task.Delay(500, _stop.Token);
                    continue;
                }

                await StreamAsync(url, _stop.Token);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is RpcException or IOException or InvalidOperationException or HttpRequestException)
            {
                // A dead replica fails every attempt until the boss moves its buckets: logged once per run of
                // failures (and every 30 s while it lasts), not on every retry.
                _failures++;
                _retries.Failed(e);
            }

            lock (_gate)
            {
                _resync = true;
                _capturing = false;
            }

            // 250 ms, 500 ms, then once a second while the replica stays unreachable.
            var retry = Math.Min(250 << Math.Min(Math.Max(_failures - 1, 0), 2), 1000);
            await Task.Delay(retry, _stop.Token).ContinueWith(static _ => { }, TaskScheduler.Default);
        }
    }

    private async Task StreamAsync(string url, CancellationToken ct)
    {
        using var channel = _channels.Open(url, longLived: true);
        using var call = _channels.Client(channel).Replicate(cancellationToken: ct);
        lock (_gate)
        {
            // Frames are counted per stream: the replica's count starts again too.
            _framesSent = 1;
            _framesAcked = 0;
            _lastImageFrame = 0;
        }

        await call.RequestStream.WriteAsync(new ReplicaFrame { OwnerId = SelfId }, ct);

        // Both halves end with the stream: a sender left running after it broke would take the next stream's
        // resync and pending images for itself and write them to the dead stream.
        using var stream = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var acks = ReadAcksAsync(call.ResponseStream, stream.Token);
        var sends = SendAsync(call.RequestStream, stream.Token);
        try
        {
            await await Task.WhenAny(acks, sends);
        }
        finally
        {
            await stream.CancelAsync();
            await Task.WhenAll(acks, sends).ContinueWith(static _ => { }, TaskScheduler.Default);
        }
    }

    private async Task SendAsync(IClientStreamWriter<ReplicaFrame> stream, CancellationToken ct)
    {
        while (true)
        {
            Task wake;
            ReplicaFrame? frame = null;
            IReadOnlyCollection<int>? images = null;
            long heldFrom = 0;
            int bits;
            lock (_gate)
            {
                wake = _wake.Task;
                bits = _bits;
                if (_resync)
                {
                    // A new stream: the images hold everything made so far, so unsent changes go. Images due from
                    // a map not in effect yet are sent too, and drops left from an earlier stream are not: the
                    // replica may hold those buckets for another owner by now (it may be a new process, too).
                    _resync = false;
                    _unsent.Clear();
                    heldFrom = _head;
                    var (buckets, mapBits) = _images.ReplicatedTo(NodeId);
                    var current = Rebase(buckets, mapBits);
                    current.UnionWith(_imagesDue);
                    images = current;
                    _imagesDue.Clear();
                    _dropsDue.Clear();
                    bits = _bits;
                    _capturing = true;
                }
                else if (_imagesDue.Count > 0)
                {
                    images = [.. _imagesDue];
                    _imagesDue.Clear();
                    _capturing = true;
                }
                else if (_dropsDue.Count > 0 || _unsent.Count > 0)
                {
                    frame = new ReplicaFrame { Bits = bits };
                    frame.Dropped.AddRange(_dropsDue);
                    _dropsDue.Clear();
                    var bytes = 0L;
                    while (_unsent.Count > 0 && frame.Entries.Count < MaxBatchEntries)
                    {
                        var size = _unsent.Peek().CalculateSize();
                        if (!FrameLimits.Fits(frame.Entries.Count, bytes, size))
                        {
                            break;
                        }

                        frame.Entries.Add(_unsent.Dequeue());
                        bytes += size;
                    }
                }
            }

            List<ReplicaFrame> frames;
            if (images is not null)
            {
                // Captured outside the lock: each queue's image reads the head inside the queue's own turn. Sent in
                // frames within the budget; the replica owes its images until it has acknowledged the last one.
                var captured = await _images.CaptureAsync(images, bits, () => Head);
                frames = ImageFrames.Split(captured, bits, heldFrom);
                LogImagesSent(_logger, NodeId, captured.Count, captured.Sum(i => i.Queues.Count), bits, frames.Count);
            }
            else if (frame is not null)
            {
                frames = [frame];
            }
            else
            {
                await wake.WaitAsync(ct);
                continue;
            }

            for (var i = 0; i < frames.Count; i++)
            {
                lock (_gate)
                {
                    _framesSent++;
                    if (images is not null && i == frames.Count - 1)
                    {
                        _lastImageFrame = _framesSent;
                        _capturing = false;
                    }
                }

                await stream.WriteAsync(frames[i], ct);
                Metrics.ImqMetrics.FrameSent("replica");
            }
        }
    }

    private async Task ReadAcksAsync(IAsyncStreamReader<ReplicaAck> stream, CancellationToken ct)
    {
        while (await stream.MoveNext(ct))
        {
            var position = stream.Current.Position;
            if (_failures > 0)
            {
                _failures = 0;
                _retries.Succeeded();
            }

            List<TaskCompletionSource> done = [];
            lock (_gate)
            {
                _framesAcked = Math.Max(_framesAcked, stream.Current.Frames);
                _acked = Math.Max(_acked, position);
                _waiters.RemoveAll(w =>
                {
                    if (w.Position > _acked)
                    {
                        return false;
                    }

                    done.Add(w.Done);
                    return true;
                });
            }

            foreach (var d in done)
            {
                d.TrySetResult();
            }
        }

        throw new IOException($"replica {NodeId} closed the stream");
    }

    [LoggerMessage(EventId = 801, Level = LogLevel.Information, Message = "Sending {Node} images of {Buckets} buckets ({Queues} queues, {Bits} bits) in {Frames} frames")]
    private static partial void LogImagesSent(ILogger logger, string node, int buckets, int queues, int bits, int frames);
}
