// The MessagePack form of `data` is written straight from its UTF-8 JSON (JsonDataMessagePackWriter). These
// tests hold it to the encoding it replaced, byte for byte: the JSON parsed into a document and each element
// written as the MessagePack value of its kind (maps and arrays with their lengths first, strings as UTF-8,
// integers as integers, other numbers as float64). Values with escapes, non-ASCII text, deep and wide
// nesting (more containers than the writer counts on its stack) are in the table; and a value read back by
// IMQ's own MessagePack reader is the JSON sent (numbers that fit their MessagePack form exactly).
using System.Buffers;
using System.Text.Json;
using Imq.Hubs.ClientProtocol;
using Imq.QueueServer.Model;
using Imq.Testing;
using MessagePack;

namespace Imq.Tests.Hub;

public sealed class MessagePackDataEncodingTests
{
    public static TheoryData<string> Values()
    {
        var data = new TheoryData<string>
        {
            "0", "-1", "true", "false", "\"\"", "\"plain ascii\"",
            "9223372036854775807", "-9223372036854775808", "18446744073709551615", "18446744073709551616",
            "1.5", "-0", "1e300", "1e-300", "123456789012345678901234567890",
            "{}", "[]", "[[]]", "{\"a\":{}}", "[{},[],{\"x\":[]}]",
            "{\"t\":1234567890123,\"s\":3,\"p\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}",
            "\"quote \\\" backslash \\\\ newline \\n tab \\t nul \\u0000\"",
            "\"h\\u00e9llo w\\u00f6rld \\u65e5\\u672c \\ud83d\\ude00 <&'>\"",
            "{\"\\u00e9t\\u00e9\":\"caf\\u00e9\",\"k\\\"ey\":[1,\"two\",{\"three\":3.25}],\"n\":null}",
            "[1,null,true,{\"a\":[false,{\"b\":[]}]},\"s\"]",
        };

        // 32 levels deep, and wide: more objects and arrays than the writer counts without renting.
        data.Add(string.Concat(Enumerable.Repeat("[", 31)) + "{\"deep\":1}" + string.Concat(Enumerable.Repeat("]", 31)));
        data.Add("[" + string.Join(",", Enumerable.Range(0, 300).Select(i => $"{{\"i\":{i},\"a\":[{i},\"v{i}\"]}}")) + "]");
        data.Add("{\"long\":\"" + new string('y', 70_000) + "\",\"esc\":\"" + string.Concat(Enumerable.Repeat("\\u00e9", 5_000)) + "\"}");
        return data;
    }

    [Theory]
    [MemberData(nameof(Values))]
    public void Data_is_written_as_the_document_encoding_wrote_it(string json)
    {
        var value = JsonData.Parse(json);
        Assert.Equal(Convert.ToHexString(ThroughDocument(value)), Convert.ToHexString(Written(value)));
    }

    [Theory]
    [InlineData("{\"t\":1234567890123,\"s\":3,\"p\":\"xx\",\"f\":1.5}")]
    [InlineData("{\"\\u00e9t\\u00e9\":\"caf\\u00e9 \\ud83d\\ude00\",\"k\\\"ey\":[1,\"two\",{\"three\":[]}],\"n\":null}")]
    [InlineData("[18446744073709551615,-9223372036854775808,true,false,{}]")]
    public void Data_read_back_is_the_JSON_sent(string json)
    {
        var value = JsonData.Parse(json);
        var reader = new MessagePackReader(Written(value));
        var back = JsonDataMessagePackFormatter.Instance.Deserialize(ref reader, MessagePackSerializerOptions.Standard);
        Assert.Null(back!.RejectReason);
        Assert.True(JsonElement.DeepEquals(JsonDocument.Parse(value.Utf8).RootElement, JsonDocument.Parse(back.Utf8).RootElement), $"read back as {back}");
    }

    private static byte[] Written(JsonData value)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        JsonDataMessagePackFormatter.Instance.Serialize(ref writer, value, MessagePackSerializerOptions.Standard);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    // The encoding before the writer: a JsonDocument, each element written by kind.
    private static byte[] ThroughDocument(JsonData value)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        MessagePackReference.Write(ref writer, value.Utf8);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }
}
