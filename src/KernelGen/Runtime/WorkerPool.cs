using System;
using System.ComponentModel;
using System.Runtime.ExceptionServices;
using System.Threading;

namespace KernelGen.Runtime;

/// <summary>Work split into parts that run at once: part <c>0</c> on the calling thread, the others on the pool's workers.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface IParallelPhases
{
    /// <summary>Runs part <paramref name="part"/> of <paramref name="parts"/> of phase <paramref name="phase"/>. Parts must not overlap in what they write.</summary>
    void RunPart(int phase, int part, int parts);
}

/// <summary>
/// A persistent set of worker threads, started once, woken per phase and joined by a barrier that spins and then
/// blocks. <see cref="Run"/> allocates nothing: no Task, no closure, no Parallel.For. The caller's thread does part 0,
/// so a pool of <c>n</c> workers runs phases in <c>n + 1</c> parts. One caller at a time.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class WorkerPool : IDisposable
{
    /// <summary>Spin iterations (of <see cref="Thread.SpinWait(int)"/>(20), ≈ 10–20 ns each) before a waiting thread blocks.
    /// Between the phases of a training step the main thread runs element-wise layers for 5–50 µs; a worker spinning
    /// through that gap wakes in well under a microsecond, one that blocked needs a futex wake-up (≈ 5–20 µs here).</summary>
    public const int SpinIterations = 4000;

    /// <summary>What the workers share; the threads reference this, not the pool, so an undisposed pool can be finalised.</summary>
    private sealed class Shared
    {
        public volatile int Generation;
        public volatile bool Stop;
        public int Phase;
        public int Parts;
        public IParallelPhases? Work;
        public int Remaining;
        public Exception? Error;
        public readonly object DoneGate = new(); // Monitor, not an event: ManualResetEventSlim allocates its lock on first block
    }

    private sealed class Worker
    {
        public readonly object Gate = new();
        public Thread Thread = null!;
        public int Index;
        public Shared Shared = null!;

        public void Loop()
        {
            Shared s = Shared;
            int seen = 0;
            while (true)
            {
                // Spin, then block, until the next phase (or the stop signal) is published.
                for (int spins = 0; s.Generation == seen && !s.Stop && spins < SpinIterations; spins++) Thread.SpinWait(20);
                if (s.Generation == seen && !s.Stop)
                {
                    lock (Gate)
                    {
                        while (s.Generation == seen && !s.Stop) Monitor.Wait(Gate);
                    }
                }
                if (s.Stop) return;
                seen = s.Generation;
                try
                {
                    s.Work!.RunPart(s.Phase, Index, s.Parts);
                }
                catch (Exception e)
                {
                    Interlocked.CompareExchange(ref s.Error, e, null);
                }
                if (Interlocked.Decrement(ref s.Remaining) == 0)
                {
                    lock (s.DoneGate) Monitor.Pulse(s.DoneGate);
                }
            }
        }
    }

    private readonly Shared _shared = new();
    private readonly Worker[] _workers;
    private bool _disposed;

    /// <summary>Starts <paramref name="workers"/> background threads (1 to 255).</summary>
    public WorkerPool(int workers)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(workers, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(workers, 255);
        _workers = new Worker[workers];
        for (int i = 0; i < workers; i++)
        {
            var w = new Worker { Index = i + 1, Shared = _shared };
            w.Thread = new Thread(w.Loop) { IsBackground = true, Name = $"KernelGen worker {i + 1}" };
            _workers[i] = w;
        }
        // Monitor.Wait's first use allocates: the object's lock becomes a full one, and the waiting thread gets its wait
        // structures (≈ 3.8 KB measured on the caller). Done here and on each caller's first Run, not in the middle of a
        // training epoch when a loaded machine first makes the caller wait for a worker.
        Prepare(_shared.DoneGate);
        foreach (Worker w in _workers) Prepare(w.Gate);
        foreach (Worker w in _workers) w.Thread.Start();
    }

    [ThreadStatic] private static bool t_waitPrepared;

    private static void Prepare(object gate)
    {
        lock (gate) Monitor.Wait(gate, 0);
    }

    /// <summary>Parts a phase runs in: the workers plus the calling thread.</summary>
    public int Parts => _workers.Length + 1;

    /// <summary>Worker threads still running (0 after <see cref="Dispose"/>).</summary>
    public int LiveWorkers
    {
        get
        {
            int n = 0;
            foreach (Worker w in _workers) n += w.Thread.IsAlive ? 1 : 0;
            return n;
        }
    }

    /// <summary>
    /// Runs every part of <paramref name="phase"/>, part 0 here, and returns when all have finished. An exception in any
    /// part is rethrown here after every part has finished (the first one if several threw); the pool stays usable.
    /// </summary>
    public void Run(IParallelPhases work, int phase)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Shared s = _shared;
        if (!t_waitPrepared)
        {
            Prepare(s.DoneGate);
            t_waitPrepared = true;
        }
        s.Work = work;
        s.Phase = phase;
        s.Parts = _workers.Length + 1;
        s.Error = null;
        s.Remaining = _workers.Length;
        s.Generation++; // volatile write: publishes the fields above
        foreach (Worker w in _workers)
        {
            lock (w.Gate) Monitor.Pulse(w.Gate); // wakes a worker that stopped spinning; cheap when it still spins
        }
        Exception? mine = null;
        try
        {
            work.RunPart(phase, 0, s.Parts);
        }
        catch (Exception e)
        {
            mine = e;
        }
        for (int spins = 0; Volatile.Read(ref s.Remaining) != 0 && spins < SpinIterations; spins++) Thread.SpinWait(20);
        if (Volatile.Read(ref s.Remaining) != 0)
        {
            lock (s.DoneGate)
            {
                while (Volatile.Read(ref s.Remaining) != 0) Monitor.Wait(s.DoneGate);
            }
        }
        s.Work = null;
        Exception? error = mine ?? s.Error;
        if (error is not null) ExceptionDispatchInfo.Capture(error).Throw();
    }

    /// <summary>Stops and joins the workers.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Stop();
        foreach (Worker w in _workers) w.Thread.Join();
        GC.SuppressFinalize(this);
    }

    private void Stop()
    {
        _shared.Stop = true;
        foreach (Worker w in _workers)
        {
            lock (w.Gate) Monitor.Pulse(w.Gate);
        }
    }

    /// <summary>An undisposed pool still lets its threads go.</summary>
    ~WorkerPool() => Stop();

    /// <summary>
    /// Splits <paramref name="units"/> units into <paramref name="parts"/> contiguous runs as evenly as possible and
    /// returns run <paramref name="part"/> as [start, end). The split only decides who computes what, never how: every
    /// kernel computes each element the same way whichever run it lands in, so results do not depend on the thread count.
    /// </summary>
    /// <remarks>Not inlined: its divisions would bring the division-by-zero and overflow helpers into every kernel that splits.</remarks>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    public static (int Start, int End) Range(int units, int part, int parts)
        => ((int)((long)units * part / parts), (int)((long)units * (part + 1) / parts));
}
