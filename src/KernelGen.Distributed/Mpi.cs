using System;
using System.Runtime.InteropServices;

namespace KernelGen.Distributed;

/// <summary>
/// A thin binding to the MPI C API of Open MPI (<c>libmpi.so.40</c>), resolved at run time: init/finalize, rank/size,
/// in-place allreduce, broadcast, barrier, abort — what data-parallel training needs and nothing else.
/// Open MPI's handles (<c>MPI_COMM_WORLD</c>, <c>MPI_FLOAT</c>, <c>MPI_SUM</c>, …) are the addresses of global symbols
/// (<c>ompi_mpi_comm_world</c>, …), looked up with <see cref="NativeLibrary.GetExport"/>. Every call is a function
/// pointer: no managed allocation, no marshalling. One process, one instance (<see cref="World"/>); not thread-safe:
/// call from one thread.
/// </summary>
public sealed unsafe class Mpi : IDisposable
{
    /// <summary>The names tried, in order, unless <c>KERNELGEN_MPI_LIBRARY</c> names the library.</summary>
    public static readonly string[] LibraryNames = { "libmpi.so.40", "libmpi.so", "libmpi.40.dylib", "libmpi.dylib" };

    private static Mpi? world;
    private static readonly object Gate = new();

    private readonly nint lib;
    private readonly nint commWorld, mpiFloat, mpiDouble, mpiInt, mpiLong, mpiByte, opSum, opMin, opMax;
    private readonly delegate* unmanaged<void*, void*, int, nint, nint, nint, int> allreduce;
    private readonly delegate* unmanaged<void*, int, nint, int, nint, int> bcast;
    private readonly delegate* unmanaged<nint, int> barrier;
    private readonly delegate* unmanaged<nint, int, int> abort;
    private readonly delegate* unmanaged<int> finalize;
    private readonly delegate* unmanaged<int*, int> finalized;
    private bool disposed;

    /// <summary>Open MPI's <c>MPI_IN_PLACE</c> is <c>(void*)1</c>.</summary>
    private static readonly void* InPlace = (void*)1;

    /// <summary>This process's rank in <c>MPI_COMM_WORLD</c>.</summary>
    public int Rank { get; }
    /// <summary>Number of processes in <c>MPI_COMM_WORLD</c>.</summary>
    public int Size { get; }
    /// <summary>The path or name the library was loaded from.</summary>
    public string Library { get; }

    /// <summary>Initialises MPI once per process (MPI_Init unless already initialised) and returns the world communicator.</summary>
    /// <exception cref="DllNotFoundException">Open MPI's libmpi cannot be loaded; the message says what was tried.</exception>
    public static Mpi World
    {
        get
        {
            lock (Gate)
                return world ??= new Mpi();
        }
    }

    private Mpi()
    {
        (lib, Library) = Load();
        commWorld = Symbol("ompi_mpi_comm_world");
        mpiFloat = Symbol("ompi_mpi_float");
        mpiDouble = Symbol("ompi_mpi_double");
        mpiInt = Symbol("ompi_mpi_int");
        mpiLong = Symbol("ompi_mpi_long_long_int");
        mpiByte = Symbol("ompi_mpi_byte");
        opSum = Symbol("ompi_mpi_op_sum");
        opMin = Symbol("ompi_mpi_op_min");
        opMax = Symbol("ompi_mpi_op_max");
        var initialized = (delegate* unmanaged<int*, int>)Symbol("MPI_Initialized");
        var init = (delegate* unmanaged<int*, byte***, int>)Symbol("MPI_Init");
        var commRank = (delegate* unmanaged<nint, int*, int>)Symbol("MPI_Comm_rank");
        var commSize = (delegate* unmanaged<nint, int*, int>)Symbol("MPI_Comm_size");
        allreduce = (delegate* unmanaged<void*, void*, int, nint, nint, nint, int>)Symbol("MPI_Allreduce");
        bcast = (delegate* unmanaged<void*, int, nint, int, nint, int>)Symbol("MPI_Bcast");
        barrier = (delegate* unmanaged<nint, int>)Symbol("MPI_Barrier");
        abort = (delegate* unmanaged<nint, int, int>)Symbol("MPI_Abort");
        finalize = (delegate* unmanaged<int>)Symbol("MPI_Finalize");
        finalized = (delegate* unmanaged<int*, int>)Symbol("MPI_Finalized");

        int flag = 0;
        Check(initialized(&flag), "MPI_Initialized");
        if (flag == 0)
            Check(init(null, null), "MPI_Init");
        int rank, size;
        Check(commRank(commWorld, &rank), "MPI_Comm_rank");
        Check(commSize(commWorld, &size), "MPI_Comm_size");
        Rank = rank;
        Size = size;
    }

    private static (nint Handle, string Name) Load()
    {
        string? named = Environment.GetEnvironmentVariable("KERNELGEN_MPI_LIBRARY");
        string[] names = string.IsNullOrEmpty(named) ? LibraryNames : new[] { named };
        foreach (string name in names)
        {
            // Open MPI's components (dlopen'ed plugins) need libmpi's symbols global, as mpi4py loads it: RTLD_NOW | RTLD_GLOBAL.
            nint h = OperatingSystem.IsLinux() ? DlOpen(name, 0x2 | 0x100) : 0;
            if (h == 0)
                NativeLibrary.TryLoad(name, out h);
            if (h != 0)
            {
                if (!NativeLibrary.TryGetExport(h, "ompi_mpi_comm_world", out _))
                    throw new DllNotFoundException($"{name} was loaded but is not Open MPI (no ompi_mpi_comm_world); KernelGen.Distributed binds Open MPI's ABI (libmpi.so.40).");
                return (h, name);
            }
        }
        throw new DllNotFoundException(
            $"Open MPI's libmpi could not be loaded (tried {string.Join(", ", names)}). Install Open MPI " +
            "(Debian/Ubuntu: apt-get install openmpi-bin libopenmpi-dev), or set KERNELGEN_MPI_LIBRARY to the library's path, and launch with mpirun.");
    }

    [DllImport("libc", EntryPoint = "dlopen")]
    private static extern nint DlOpenNative([MarshalAs(UnmanagedType.LPUTF8Str)] string file, int mode);

    private static nint DlOpen(string file, int mode)
    {
        try { return DlOpenNative(file, mode); }
        catch (DllNotFoundException) { return 0; }
        catch (EntryPointNotFoundException) { return 0; }
    }

    private nint Symbol(string name) =>
        NativeLibrary.TryGetExport(lib, name, out nint p) ? p
        : throw new EntryPointNotFoundException($"{Library} has no symbol {name}: not the Open MPI 4.x ABI KernelGen.Distributed binds.");

    private static void Check(int rc, string call)
    {
        // The default error handler (MPI_ERRORS_ARE_FATAL) aborts the job before a non-zero code comes back; this is the
        // case of a communicator whose handler returns errors.
        if (rc != 0)
            throw new InvalidOperationException($"{call} failed with MPI error code {rc}.");
    }

    private void ThrowIfDisposed()
    {
        if (disposed)
            throw new ObjectDisposedException(nameof(Mpi), "MPI was finalised.");
    }

    /// <summary>Sums <paramref name="data"/> element-wise over all ranks, in place; every rank gets the sum.</summary>
    public void AllreduceSum(Span<float> data) => Reduce(data, opSum);
    /// <summary>Sums over all ranks, in place.</summary>
    public void AllreduceSum(Span<double> data) => Reduce(data, opSum);
    /// <summary>Sums over all ranks, in place.</summary>
    public void AllreduceSum(Span<long> data) => Reduce(data, opSum);
    /// <summary>Element-wise minimum over all ranks, in place.</summary>
    public void AllreduceMin(Span<long> data) => Reduce(data, opMin);
    /// <summary>Element-wise maximum over all ranks, in place.</summary>
    public void AllreduceMax(Span<long> data) => Reduce(data, opMax);
    /// <summary>Element-wise minimum over all ranks, in place.</summary>
    public void AllreduceMin(Span<int> data) => Reduce(data, opMin);

    private void Reduce<T>(Span<T> data, nint op) where T : unmanaged
    {
        ThrowIfDisposed();
        nint type = TypeOf<T>();
        fixed (T* p = data)
            for (long done = 0; done < data.Length;)
            {
                int n = (int)Math.Min(data.Length - done, int.MaxValue);
                Check(allreduce(InPlace, p + done, n, type, op, commWorld), "MPI_Allreduce");
                done += n;
            }
    }

    /// <summary>Copies <paramref name="data"/> of rank <paramref name="root"/> to every rank (same length on every rank).</summary>
    public void Broadcast<T>(Span<T> data, int root = 0) where T : unmanaged
    {
        ThrowIfDisposed();
        if ((uint)root >= (uint)Size)
            throw new ArgumentOutOfRangeException(nameof(root), root, $"root must be a rank in [0, {Size}).");
        nint type = TypeOf<T>();
        int elementBytes = type == mpiByte ? sizeof(T) : 1;
        fixed (T* p = data)
        {
            byte* b = (byte*)p;
            long count = (long)data.Length * elementBytes;
            long unit = type == mpiByte ? 1 : sizeof(T);
            for (long done = 0; done < count;)
            {
                int n = (int)Math.Min(count - done, int.MaxValue);
                Check(bcast(b + done * unit, n, type, root, commWorld), "MPI_Bcast");
                done += n;
            }
        }
    }

    private nint TypeOf<T>() where T : unmanaged =>
        typeof(T) == typeof(float) ? mpiFloat
        : typeof(T) == typeof(double) ? mpiDouble
        : typeof(T) == typeof(int) ? mpiInt
        : typeof(T) == typeof(long) ? mpiLong
        : mpiByte; // anything else travels as its bytes (broadcast only)

    /// <summary>Waits until every rank has called it.</summary>
    public void Barrier()
    {
        ThrowIfDisposed();
        Check(barrier(commWorld), "MPI_Barrier");
    }

    /// <summary>Ends every process of the job with <paramref name="exitCode"/> (MPI_Abort on MPI_COMM_WORLD). Does not return.</summary>
    public void Abort(int exitCode)
    {
        abort(commWorld, exitCode);
        Environment.Exit(exitCode); // MPI_Abort does not return; this is for an implementation whose abort does
    }

    /// <summary>
    /// Runs <paramref name="body"/>; an exception on any rank is written to stderr as "rank r of n: …" and ends the whole
    /// job with MPI_Abort (exit code <paramref name="exitCode"/>), so that no other rank waits forever in a collective.
    /// </summary>
    public void RunOrAbort(Action body, int exitCode = 70)
    {
        ArgumentNullException.ThrowIfNull(body);
        try
        {
            body();
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"rank {Rank} of {Size}: {e.GetType().Name}: {e.Message} — aborting the MPI job.");
            Console.Error.Flush();
            Abort(exitCode);
        }
    }

    /// <summary>MPI_Finalize (once; every rank must call it). Later calls to this instance throw.</summary>
    public void Dispose()
    {
        if (disposed)
            return;
        disposed = true;
        int done = 0;
        finalized(&done);
        if (done == 0)
            Check(finalize(), "MPI_Finalize");
    }
}
