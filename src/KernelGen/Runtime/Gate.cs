using System;
using System.ComponentModel;
using System.Threading;

namespace KernelGen.Runtime;

/// <summary>
/// A generated network's entry check: one instance per network, no allocation per call. A network is not thread-safe;
/// the gate makes a second thread entering while one is inside an <see cref="InvalidOperationException"/> (instead of
/// a deadlock in the worker pool or silently mixed workspaces), and every use after Dispose an
/// <see cref="ObjectDisposedException"/>. A call made from inside another on the same thread (TrainStep calling
/// ComputeGradients) passes.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class Gate
{
    private const int Disposed = -1;
    private int _owner; // 0: free; −1: disposed; else the managed thread id inside
    private string _member = string.Empty; // what the owner is running, for the message

    /// <summary>The rule the exception states.</summary>
    public const string Rule = "A network is not thread-safe: one thread at a time may call Predict, Evaluate, TrainStep, ComputeGradients or ApplyUpdate (use one network per thread, or a lock).";

    /// <summary>Enters <paramref name="member"/>; dispose the scope (a <c>using</c>) to leave.</summary>
    public Scope Enter(string member)
    {
        int me = Environment.CurrentManagedThreadId;
        int previous = Interlocked.CompareExchange(ref _owner, me, 0);
        if (previous == 0)
        {
            _member = member;
            return new Scope(this);
        }
        if (previous == me) return default; // nested call on the same thread: the outer one leaves
        if (previous == Disposed) throw Gone(member);
        throw new InvalidOperationException($"{member} was called on thread {me} while {Volatile.Read(ref _member)} is running on thread {previous}. {Rule} Nothing was changed by this call.");
    }

    /// <summary>Throws <see cref="ObjectDisposedException"/> after Dispose.</summary>
    public void Alive(string member)
    {
        if (Volatile.Read(ref _owner) == Disposed) throw Gone(member);
    }

    /// <summary>Returns <paramref name="value"/>, or throws <see cref="ObjectDisposedException"/> after Dispose.</summary>
    public T Check<T>(string member, T value)
    {
        Alive(member);
        return value;
    }

    /// <summary>Marks the network disposed; false when it already was (Dispose twice is fine). Throws when another
    /// thread is inside a call: freeing its blocks under running kernels would corrupt memory.</summary>
    public bool TryDispose()
    {
        int previous = Interlocked.CompareExchange(ref _owner, Disposed, 0);
        if (previous == 0) return true;
        if (previous == Disposed) return false;
        throw new InvalidOperationException($"Dispose was called while {Volatile.Read(ref _member)} is running on thread {previous}. {Rule} The network was not disposed.");
    }

    private static ObjectDisposedException Gone(string member)
        => new("network", $"{member}: the network has been disposed; create a new one (or load a checkpoint into one).");

    /// <summary>Leaves the gate when disposed (only the outermost call holds it).</summary>
    public readonly struct Scope : IDisposable
    {
        private readonly Gate? _gate;

        internal Scope(Gate gate) => _gate = gate;

        /// <summary>Leaves.</summary>
        public void Dispose()
        {
            if (_gate is not null) Volatile.Write(ref _gate._owner, 0);
        }
    }
}
