using System;
using System.IO;
using System.Linq;
using System.Security.Cryptography;

namespace KernelGen.IO;

/// <summary>Writes a file so that a reader sees either the old content or the complete new one, never a part.</summary>
public static class AtomicFile
{
    /// <summary>
    /// Calls <paramref name="write"/> on a new file <c>path.tmp-XXXXXXXX</c> in the same directory, flushes it to disk,
    /// then renames it over <paramref name="path"/>. When <paramref name="write"/> or anything else throws, the
    /// temporary file is deleted, <paramref name="path"/> is untouched, and the exception propagates.
    /// </summary>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);
        string full = Path.GetFullPath(path);
        RemoveStaleTemporaries(full);
        string temporary = $"{full}.tmp-{Convert.ToHexString(RandomNumberGenerator.GetBytes(4)).ToLowerInvariant()}";
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(temporary); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
            throw;
        }
    }

    /// <summary>How old a temporary file of the same target must be before a new save deletes it as left by a killed one.</summary>
    public static readonly TimeSpan StaleAfter = TimeSpan.FromMinutes(10);

    /// <summary>Deletes <c>path.tmp-XXXXXXXX</c> files that a killed save left (older than <see cref="StaleAfter"/>, so a
    /// save of the same file running in another process right now keeps its own).</summary>
    private static void RemoveStaleTemporaries(string full)
    {
        string? directory = Path.GetDirectoryName(full);
        if (directory is null || !Directory.Exists(directory)) return;
        string prefix = Path.GetFileName(full) + ".tmp-";
        DateTime cutoff = DateTime.UtcNow - StaleAfter;
        try
        {
            foreach (string file in Directory.EnumerateFiles(directory, prefix + "????????"))
            {
                string suffix = Path.GetFileName(file)[prefix.Length..];
                if (suffix.Length != 8 || !suffix.All(c => char.IsAsciiHexDigitLower(c) || char.IsAsciiDigit(c))) continue;
                if (File.GetLastWriteTimeUtc(file) < cutoff) File.Delete(file);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Cleaning up is a courtesy; the save itself goes on.
        }
    }
}
