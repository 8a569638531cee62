// The neutral form of every `data` value and state value: compact UTF-8 JSON bytes. Both hub protocols
// and REST convert into it at the edge, so clients on JSON and MessagePack see the same value, and its
// size is the compact JSON size that the limits speak of.
using System.Text.Json;

namespace Imq.QueueServer.Model;

/// <summary>An immutable JSON value held as compact UTF-8 bytes.</summary>
public sealed class JsonData : IEquatable<JsonData>
{
    /// <summary>How deeply arrays and objects may nest (docs/PROTOCOL.md).</summary>
    public const int MaxDepth = 32;

    public static readonly JsonData Null = new("null"u8.ToArray());

    private readonly byte[] _utf8;

    private JsonData(byte[] utf8, string? rejectReason = null)
    {
        _utf8 = utf8;
        RejectReason = rejectReason;
    }

    /// <summary>Set when a protocol could not turn the client's value into JSON; the value must then be refused as <c>invalid</c>.</summary>
    public string? RejectReason { get; }

    /// <summary>The compact UTF-8 JSON text.</summary>
    public ReadOnlyMemory<byte> Utf8 => _utf8;

    /// <summary>Size in bytes as compact UTF-8 JSON.</summary>
    public int Length => _utf8.Length;

    public bool IsNull => RejectReason is null && _utf8.Length == 4 && _utf8[0] == (byte)'n';

    /// <summary>Wraps bytes that the caller guarantees to be compact, valid JSON (written by Utf8JsonWriter).</summary>
    public static JsonData FromTrustedUtf8(byte[] compactUtf8) => compactUtf8.Length == 4 && compactUtf8[0] == (byte)'n' ? Null : new JsonData(compactUtf8);

    /// <summary>Writes a parsed element in compact form, checking the nesting depth and that every number fits a
    /// double (<c>1e400</c> does not: a client reading it would get infinity, which JSON cannot carry).</summary>
    public static JsonData FromElement(JsonElement element)
    {
        CheckValue(element, 0);
        if (element.ValueKind == JsonValueKind.Null)
        {
            return Null;
        }

        // The JSON reader does not check that strings are UTF-8, and writing the element would silently turn
        // what is not into U+FFFD: JSON is UTF-8, so such a value is refused instead of changed.
        if (!System.Text.Unicode.Utf8.IsValid(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(element)))
        {
            throw ImqException.Invalid("data holds a string that is not UTF-8");
        }

        var buffer = new System.Buffers.ArrayBufferWriter<byte>(64);
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true, Indented = false }))
        {
            element.WriteTo(writer);
        }

        return new JsonData(buffer.WrittenSpan.ToArray());
    }

    /// <summary>A placeholder for a value that had no JSON equivalent; the hub answers <c>invalid</c> with the reason.</summary>
    public static JsonData Rejected(string reason) => new("null"u8.ToArray(), reason);

    /// <summary>Parses JSON text (one value, any whitespace) into the compact form; malformed text, or anything
    /// after the value, is <c>invalid</c>.</summary>
    public static JsonData Parse(ReadOnlySpan<byte> utf8)
    {
        try
        {
            var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = MaxDepth + 1 });
            using var doc = JsonDocument.ParseValue(ref reader);

            // ParseValue stops after the first value: reading on throws if anything but whitespace follows.
            if (reader.Read())
            {
                throw ImqException.Invalid("malformed JSON: more than one value");
            }

            return FromElement(doc.RootElement);
        }
        catch (JsonException e)
        {
            throw ImqException.Invalid("malformed JSON: " + e.Message);
        }
    }

    public static JsonData Parse(string json) => Parse(System.Text.Encoding.UTF8.GetBytes(json));

    /// <summary>Parses this value as a JSON document (for reading objects such as state changes).</summary>
    public JsonDocument ToDocument() => JsonDocument.Parse(_utf8);

    public override string ToString() => System.Text.Encoding.UTF8.GetString(_utf8);

    public bool Equals(JsonData? other) => other is not null && _utf8.AsSpan().SequenceEqual(other._utf8);

    public override bool Equals(object? obj) => obj is JsonData other && Equals(other);

    public override int GetHashCode()
    {
        var hash = default(HashCode);
        hash.AddBytes(_utf8);
        return hash.ToHashCode();
    }

    private static void CheckValue(JsonElement element, int depth)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                if (++depth > MaxDepth)
                {
                    throw ImqException.Invalid($"data nests deeper than {MaxDepth}");
                }

                foreach (var p in element.EnumerateObject())
                {
                    CheckValue(p.Value, depth);
                }

                break;
            case JsonValueKind.Array:
                if (++depth > MaxDepth)
                {
                    throw ImqException.Invalid($"data nests deeper than {MaxDepth}");
                }

                foreach (var item in element.EnumerateArray())
                {
                    CheckValue(item, depth);
                }

                break;
            case JsonValueKind.Number:
                // TryGetDouble answers infinity for a number too large for a double, such as 1e400.
                if (!element.TryGetDouble(out var number) || !double.IsFinite(number))
                {
                    throw ImqException.Invalid("data holds a number out of range (it must fit a double, as 1e308 does and 1e400 does not)");
                }

                break;
        }
    }
}
