// The name rules of the contract, at their edges.
using Imq.QueueServer.Model;

namespace Imq.Tests.Engine;

public sealed class NamesTests
{
    [Theory]
    [InlineData("/room/123", true)]
    [InlineData("/a:b.c-d_e", true)]
    [InlineData("room/123", false)]
    [InlineData("", false)]
    [InlineData("/room 1", false)]
    [InlineData("/room/ü", false)]
    public void Queue_names(string name, bool valid) => Assert.Equal(valid, Names.IsValidQueue(name));

    [Fact]
    public void Queue_names_are_at_most_256_bytes()
    {
        Assert.True(Names.IsValidQueue("/" + new string('a', 255)));
        Assert.False(Names.IsValidQueue("/" + new string('a', 256)));
    }

    [Theory]
    [InlineData("chat", true)]
    [InlineData("a/b", false)]
    [InlineData("", false)]
    public void Mount_names(string name, bool valid) => Assert.Equal(valid, Names.IsValidMount(name));

    [Theory]
    [InlineData("alice@example.com", true)]
    [InlineData("a/b", false)]
    public void User_ids(string id, bool valid) => Assert.Equal(valid, Names.IsValidUserId(id));

    [Fact]
    public void Data_nested_deeper_than_32_is_invalid()
    {
        var ok = new string('[', 32) + new string(']', 32);
        var deep = new string('[', 33) + new string(']', 33);
        Assert.Equal(ok, JsonData.Parse(ok).ToString());
        Assert.Equal(ErrorCodes.Invalid, Assert.Throws<ImqException>(() => JsonData.Parse(deep)).Code);
    }

    [Fact]
    public void Data_is_kept_compact() => Assert.Equal("{\"a\":[1,2]}", JsonData.Parse("{ \"a\" : [ 1, 2 ] }").ToString());
}
