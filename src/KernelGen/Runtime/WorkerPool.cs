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

/// <summary>Steps whose phases read a span every thread must see (a step's inputs): <see cref="WorkerPool.RunPinned"/> pins it
/// and calls back; inside, <see cref="WorkerPool.Inputs"/> is its first element on every thread.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface IPinnedPhases
{
    /// <summary>Runs the phases numbered <paramref name="which"/> by the implementer, with the inputs pinned.</summary>
    void RunPinned(int which);
}

/// <summary>
/// A persistent set of worker threads, started once, woken per phase and joined by a barrier that spins and then
/// blocks. <see cref="Run"/> allocates nothing: no Task, no closure, no Parallel.For. One caller at a time; the caller's
/// thread works too, so a pool of <c>n</c> workers has <c>n + 1</c> threads (<see cref="Parts"/>).
/// <para>
/// A phase is cut into <see cref="ChunksPerThread"/> chunks per thread (<see cref="Chunks"/>), and thread <c>t</c> owns the
/// contiguous chunks <c>[t·C, (t + 1)·C)</c> — the same rows or outputs a static split would give it, so data stays on
/// the core that touched it in the phase before. A thread runs its own chunks first, then takes the chunks no one has
/// claimed yet from the others. A phase therefore ends when its chunks are done, not when every thread has checked in:
/// a worker the OS has not scheduled (another process on the core, a slow vCPU) no longer holds every phase up for its
/// time slice — measured on a 2-core host with a build running beside it: two-thread TrainStep 55 ms per step with
/// the static split against 0.6 ms alone. Who runs a chunk never changes what it computes (see <see cref="Range"/>).
/// </para>
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed unsafe class WorkerPool : IDisposable
{
    /// <summary>Spin iterations (of <see cref="Thread.SpinWait(int)"/>(20), ≈ 10–20 ns each) before a waiting thread blocks.
    /// Between the phases of a training step the main thread runs element-wise layers for 5–50 µs; a worker spinning
    /// through that gap wakes in well under a microsecond, one that blocked needs a futex wake-up (≈ 5–20 µs here).</summary>
    public const int SpinIterations = 4000;

    /// <summary>Chunks per thread and phase: enough that the others can take over most of a late thread's share, few
    /// enough that a chunk still holds whole register tiles of rows (128 rows, 2 threads: 16 rows a chunk).</summary>
    public const int ChunksPerThread = 4;

    /// <summary>Stride between the claim counters in <see cref="Shared.Next"/>: one 64-byte line each, no false sharing.</summary>
    private const int CounterStride = 8;

    /// <summary>What the workers share; the threads reference this, not the pool, so an undisposed pool can be finalised.</summary>
    private sealed class Shared
    {
        public volatile int Generation;
        public volatile bool Stop;
        public int Phase;
        public IParallelPhases? Work;
        /// <summary>Per thread: (generation ≪ 32) | the next of its own chunks to hand out. Claims go through
        /// CompareExchange and must carry the current generation, so a late thread can never claim a chunk of a phase
        /// that has already finished (its chunks are all handed out) or take a later phase's chunk for an earlier one.</summary>
        public long[] Next = Array.Empty<long>();
        public int Pending; // chunks not yet finished
        public float* Inputs; // RunPinned's span while it runs, else null
        public Exception? Error;
        public readonly object DoneGate = new(); // Monitor, not an event: ManualResetEventSlim allocates its lock on first block
    }

    private sealed class Worker
    {
        public readonly object Gate = new();
        public Thread Thread = null!;
        public int Index;
        public Shared Shared = null!;
        public long Allocated; // GC.GetAllocatedBytesForCurrentThread() after the last phase this worker ran

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
                Work(s, seen, Index);
                Volatile.Write(ref Allocated, GC.GetAllocatedBytesForCurrentThread());
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
        _shared.Next = new long[(workers + 1) * CounterStride];
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

    /// <summary>Threads a phase runs on: the workers plus the calling thread.</summary>
    public int Parts => _workers.Length + 1;

    /// <summary>
    /// Managed bytes the worker threads have allocated since they started, as each recorded it after the last phase it ran
    /// (a worker still finishing the phase that just ended may record its last count a moment later): what zero-allocation
    /// tests add to the calling thread's own count, since
    /// <see cref="GC.GetAllocatedBytesForCurrentThread"/> sees only the caller and a process-wide count also sees the test
    /// runner's threads.
    /// </summary>
    public long WorkerAllocatedBytes
    {
        get
        {
            long sum = 0;
            foreach (Worker w in _workers) sum += Volatile.Read(ref w.Allocated);
            return sum;
        }
    }

    /// <summary>Chunks every phase is cut into: the <c>parts</c> argument of <see cref="IParallelPhases.RunPart"/>.</summary>
    public int Chunks => Parts * ChunksPerThread;

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
    /// Runs every chunk of <paramref name="phase"/> — <c>work.RunPart(phase, chunk, Chunks)</c> for each chunk exactly once,
    /// on this thread and the workers — and returns when all have finished. An exception in any chunk is rethrown here after
    /// every chunk has finished (the first one if several threw); the pool stays usable.
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
        int generation = s.Generation + 1;
        s.Work = work;
        s.Phase = phase;
        s.Error = null;
        s.Pending = Chunks;
        for (int t = 0; t < Parts; t++) Volatile.Write(ref s.Next[t * CounterStride], (long)generation << 32);
        s.Generation = generation; // volatile write: publishes the fields above
        foreach (Worker w in _workers)
        {
            lock (w.Gate) Monitor.Pulse(w.Gate); // wakes a worker that stopped spinning; cheap when it still spins
        }
        Work(s, generation, 0);
        for (int spins = 0; Volatile.Read(ref s.Pending) != 0 && spins < SpinIterations; spins++) Thread.SpinWait(20);
        if (Volatile.Read(ref s.Pending) != 0)
        {
            lock (s.DoneGate)
            {
                while (Volatile.Read(ref s.Pending) != 0) Monitor.Wait(s.DoneGate);
            }
        }
        s.Work = null;
        Exception? error = s.Error;
        if (error is not null) ExceptionDispatchInfo.Capture(error).Throw();
    }

    /// <summary>Thread <paramref name="self"/>'s share of phase <paramref name="generation"/> (0: the caller): its own chunks,
    /// then whatever the others have not claimed. The worker that finishes the phase's last chunk wakes a blocked caller.</summary>
    private static void Work(Shared s, int generation, int self)
    {
        IParallelPhases? work = s.Work;
        int phase = s.Phase, threads = s.Next.Length / CounterStride, chunks = threads * ChunksPerThread;
        for (int i = 0; i < threads; i++)
        {
            int owner = (self + i) % threads;
            int chunk;
            while ((chunk = Claim(s, generation, owner)) >= 0)
            {
                try
                {
                    work!.RunPart(phase, owner * ChunksPerThread + chunk, chunks);
                }
                catch (Exception e)
                {
                    Interlocked.CompareExchange(ref s.Error, e, null);
                }
                if (Interlocked.Decrement(ref s.Pending) == 0 && self != 0)
                {
                    lock (s.DoneGate) Monitor.Pulse(s.DoneGate);
                }
            }
        }
    }

    /// <summary>The next unclaimed chunk of <paramref name="owner"/>'s share in this generation, or −1 if none is left.</summary>
    private static int Claim(Shared s, int generation, int owner)
    {
        ref long next = ref s.Next[owner * CounterStride];
        while (true)
        {
            long value = Volatile.Read(ref next);
            if ((int)(value >> 32) != generation || (int)value >= ChunksPerThread) return -1;
            if (Interlocked.CompareExchange(ref next, value + 1, value) == value) return (int)value;
        }
    }

    /// <summary>
    /// Pins <paramref name="inputs"/> (a managed array cannot move; stack or native memory stays where it is while the caller
    /// is in here) and calls <paramref name="body"/>.<see cref="IPinnedPhases.RunPinned"/>(<paramref name="which"/>): its phases
    /// read the inputs through <see cref="Inputs"/> on every thread, so a threaded step no longer copies them (a 128 × 784
    /// batch: 400 KB the calling thread copied while the workers waited). Nothing is allocated.
    /// </summary>
    public void RunPinned(IPinnedPhases body, ReadOnlySpan<float> inputs, int which)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (inputs.IsEmpty) throw new ArgumentException("The inputs to share are empty.", nameof(inputs));
        fixed (float* address = inputs)
        {
            _shared.Inputs = address;
            try
            {
                body.RunPinned(which);
            }
            finally
            {
                _shared.Inputs = null;
            }
        }
    }

    /// <summary>The first input of the span <see cref="RunPinned"/> is sharing; throws outside it.</summary>
    public ref float Inputs
    {
        get
        {
            float* address = _shared.Inputs;
            if (address == null) ThrowNotPinned();
            return ref *address;
        }
    }

    private static void ThrowNotPinned() => throw new InvalidOperationException("No inputs are shared: WorkerPool.Inputs is only valid inside RunPinned.");

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

    /// <summary>Rows a row split hands out together: one register tile of the packed kernels (8 rows at AVX-512).</summary>
    public const int RowUnit = 8;

    /// <summary>
    /// Chunk <paramref name="part"/> of <paramref name="parts"/> of a batch of <paramref name="rows"/> rows, in whole
    /// <see cref="RowUnit"/>s (the last one may be short): chunks never cut a register tile of rows, so 32 rows over 8
    /// chunks give 4 chunks of 8 and 4 empty ones rather than 8 of 4 rows that the kernels run one row at a time (Predict of
    /// 32 rows on 2 threads: 143 µs against 79 µs on one, before). Which chunk computes a row never changes how.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    public static (int Start, int End) Rows(int rows, int part, int parts)
    {
        (int u0, int u1) = Range((rows + RowUnit - 1) / RowUnit, part, parts);
        return (Math.Min(u0 * RowUnit, rows), Math.Min(u1 * RowUnit, rows));
    }

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
