// Wraps a SignalR hub protocol so that arguments which cannot be bound (wrong types, missing or extra
// arguments) answer "HubException: invalid: ..." like every other bad input, instead of SignalR's
// generic binding failure that names no code (and are counted as such in imq_errors_total); and so that a
// frame of a message type the protocol does not know is skipped, as the protocol means it to be, instead of
// holding up every frame after it.
using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.ExceptionServices;
using Imq.Backplane.Metrics;
using Imq.QueueServer.Model;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;

namespace Imq.Hubs.ClientProtocol;

internal sealed class ImqHubProtocol(IHubProtocol inner) : IHubProtocol
{
    public string Name => inner.Name;

    public int Version => inner.Version;

    public TransferFormat TransferFormat => inner.TransferFormat;

    public bool IsVersionSupported(int version) => inner.IsVersionSupported(version);

    public ReadOnlyMemory<byte> GetMessageBytes(HubMessage message) => inner.GetMessageBytes(message);

    public void WriteMessage(HubMessage message, IBufferWriter<byte> output) => inner.WriteMessage(message, output);

    public bool TryParseMessage(ref ReadOnlySequence<byte> input, IInvocationBinder binder, [NotNullWhen(true)] out HubMessage? message)
    {
        var length = input.Length;
        if (!inner.TryParseMessage(ref input, binder, out message))
        {
            if (input.Length == length)
            {
                return false;
            }

            // A whole frame was read but is of a type this version does not know (the protocol says to ignore
            // it). Returning false would tell SignalR's dispatch loop that no frame was complete: with a maximum
            // message size set it then keeps the frame in its buffer and parses it again at every read, so the
            // connection never answers anything again. A ping is ignored by the dispatcher and lets it move on.
            message = PingMessage.Instance;
            return true;
        }

        if (message is InvocationBindingFailureMessage failure && failure.BindingFailure.SourceException is not HubException)
        {
            var detail = failure.BindingFailure.SourceException.Message;
            ImqMetrics.HubError(ErrorCodes.Invalid);
            message = new InvocationBindingFailureMessage(
                failure.InvocationId,
                failure.Target,
                ExceptionDispatchInfo.Capture(new HubException($"invalid: arguments of '{failure.Target}' do not fit: {detail}")));
        }

        return true;
    }
}
