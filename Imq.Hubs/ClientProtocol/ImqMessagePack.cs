// The MessagePack serializer options of the hub (and of .NET clients that want JsonData on the wire):
// SignalR's own defaults plus the JsonData formatter, with the untrusted-data security setting kept.
using MessagePack;
using MessagePack.Formatters;
using MessagePack.Resolvers;
using Microsoft.AspNetCore.SignalR;

namespace Imq.Hubs.ClientProtocol;

internal static class ImqMessagePack
{
    public static MessagePackSerializerOptions Options { get; } = Create();

    private static MessagePackSerializerOptions Create()
    {
        var defaults = new MessagePackHubProtocolOptions().SerializerOptions;
        var resolver = CompositeResolver.Create(
            new IMessagePackFormatter[] { JsonDataMessagePackFormatter.Instance },
            new IFormatterResolver[] { defaults.Resolver });
        return defaults.WithResolver(resolver).WithSecurity(MessagePackSecurity.UntrustedData);
    }
}
