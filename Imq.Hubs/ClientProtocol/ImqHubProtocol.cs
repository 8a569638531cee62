// Wraps a SignalR hub protocol so that arguments which cannot be bound (wrong types, missing or extra
// arguments) answer "HubException: invalid: ..." like every other bad input, instead of SignalR's
// generic binding failure that names no code (and are counted as such in imq_errors_total).
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
        if (!inner.TryParseMessage(ref input, binder, out message))
        {
            return false;
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
