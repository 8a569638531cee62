// The credentials a node needs when the configuration gives none: an API key and a JWT signing key,
// generated once into the data folder (never a built-in default) and read back on later starts.
using System.Security.Cryptography;
using Imq.Backplane.Hosting;

namespace Imq.Hubs.Startup;

internal sealed class NodeSecrets
{
    private NodeSecrets(IReadOnlyList<string> apiKeys, byte[] jwtKey, string? generatedApiKeyPath)
    {
        ApiKeys = apiKeys;
        JwtSigningKey = jwtKey;
        GeneratedApiKeyPath = generatedApiKeyPath;
    }

    public IReadOnlyList<string> ApiKeys { get; }

    public byte[] JwtSigningKey { get; }

    /// <summary>Where the generated API key is kept, when one was generated.</summary>
    public string? GeneratedApiKeyPath { get; }

    public static NodeSecrets Load(ImqOptions options)
    {
        Directory.CreateDirectory(options.DataDir);
        string? generatedPath = null;
        var apiKeys = options.ApiKeys.Where(k => !string.IsNullOrWhiteSpace(k)).Select(k => k.Trim()).ToList();
        foreach (var key in apiKeys)
        {
            if (key.Length < 16 || key.Contains('.', StringComparison.Ordinal))
            {
                throw new InvalidOperationException("Imq:ApiKeys: every key must be at least 16 characters and contain no '.' (a '.' marks a JWT)");
            }
        }

        if (apiKeys.Count == 0)
        {
            generatedPath = Path.GetFullPath(Path.Combine(options.DataDir, "api-key.txt"));
            apiKeys.Add(ReadOrCreate(generatedPath, () => "imq_" + Base64Url(32)));
        }

        byte[] jwtKey;
        if (!string.IsNullOrEmpty(options.Auth.JwtSigningKey))
        {
            // At least 32 bytes: checked at start-up (ProgramOptionsValidator).
            jwtKey = System.Text.Encoding.UTF8.GetBytes(options.Auth.JwtSigningKey);
        }
        else
        {
            var path = Path.Combine(options.DataDir, "jwt-signing-key.txt");
            jwtKey = System.Text.Encoding.UTF8.GetBytes(ReadOrCreate(path, () => Base64Url(48)));
        }

        return new NodeSecrets(apiKeys, jwtKey, generatedPath);
    }

    private static string ReadOrCreate(string path, Func<string> create)
    {
        if (File.Exists(path))
        {
            return File.ReadAllText(path).Trim();
        }

        var value = create();
        File.WriteAllText(path, value + "\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        return value;
    }

    private static string Base64Url(int bytes) =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(bytes)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
