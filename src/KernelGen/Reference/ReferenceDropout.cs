namespace KernelGen.Reference;

/// <summary>
/// The dropout mask from its documented formula (docs/techniques.md),
/// written again here so the oracle shares no code with the kernels it checks: element i of a layer is kept iff
/// <c>Hash(i, key) &gt;&gt; 8 &lt; round((1 − rate)·2²⁴)</c>, <c>Hash(c, k) = mix(mix(c ⊕ k·0x9E3779B9) ⊕ k)</c>,
/// <c>mix</c> = lowbias32, and <c>key</c> absorbs seed, the two halves of step and the layer position, each followed
/// by a mix, with the domain constants 0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344. Arithmetic is done in
/// 64 bits and reduced mod 2³², so an overflow mistake in either copy shows as a disagreement.
/// </summary>
internal static class ReferenceDropout
{
    private const ulong Word = 0xFFFF_FFFFul;

    private static ulong Mix(ulong x)
    {
        x &= Word;
        x ^= x >> 16;
        x = x * 0x7FEB352Dul & Word;
        x ^= x >> 15;
        x = x * 0x846CA68Bul & Word;
        return x ^ (x >> 16);
    }

    public static ulong Key(int seed, long step, int layer)
    {
        ulong s = (ulong)step;
        ulong h = Mix(((ulong)(uint)seed) ^ 0x243F6A88ul);
        h = Mix(h ^ (s & Word) ^ 0x85A308D3ul);
        h = Mix(h ^ (s >> 32) ^ 0x13198A2Eul);
        return Mix(h ^ (ulong)(uint)layer ^ 0x03707344ul);
    }

    public static bool Keep(int index, ulong key, float rate)
    {
        double threshold = System.Math.Round((1.0 - rate) * 16777216.0, System.MidpointRounding.ToEven);
        ulong hash = Mix(Mix((ulong)(uint)index ^ (key * 0x9E3779B9ul & Word)) ^ key);
        return (hash >> 8) < threshold;
    }
}
