"""The worker processes of chapter 8: distributed FFT and matrix products across GPUs.

One process per GPU, started by the chapter (from its folder) as

    mpiexec -n N python3 data/08_worker.py COMMAND [options]

with COMMAND one of
    hello         initialize the runtime, show distributions and symmetric memory, run
                  a first distributed FFT checked against CuPy, release everything;
    interconnect  NCCL all-to-all, a device-to-device copy and a copy between two GPUs:
                  the rates that bound a distributed FFT;
    fft           a 3-D C2C FFT, distributed (cuFFTMp) and on one GPU (cuFFT), timed in
                  interleaved rounds and checked against each other;
    matmul        a matrix product, distributed (cuBLASMp) and on one GPU (cuBLAS),
                  timed and checked the same way.

Every rank prints JSON lines {"rank": r, "kind": "log" | "result", ...}; the ranks print
in turn (rank 0 first, a barrier between ranks) and each line stays under 4 KiB, so that
mpiexec forwards it whole. Any failure raises: mpiexec then exits non-zero and the
chapter stops with this process's traceback. NVLink multicast must be off
(NCCL_NVLS_ENABLE=0, NVSHMEM_DISABLE_NVLS=1): the worker refuses to start otherwise.

(Draft: drafts/08-data/08_worker.py; published as docs/chapters/data/08_worker.py.)
"""

import nvmath  # first: loads the CUDA libraries of the installed wheels

import argparse
import json
import math
import os
import socket
import sys

import cupy as cp
import numpy as np
import pynvml  # nvidia-ml-py: which GPU, clocks and throttle reasons
from mpi4py import MPI

import nvmath.distributed
from nvmath.distributed.distribution import Box, Slab
from nvmath.distributed.linalg.advanced import matrix_qualifiers_dtype

MULTICAST_OFF = {"NCCL_NVLS_ENABLE": "0", "NVSHMEM_DISABLE_NVLS": "1"}
for _name, _value in MULTICAST_OFF.items():
    if os.environ.get(_name) != _value:
        sys.exit(f"{_name}={_value} must be set: this book keeps NVLink multicast off")

comm = MPI.COMM_WORLD
rank, nranks = comm.Get_rank(), comm.Get_size()

# ---------------------------------------------------------------- output, in rank order

_lines = []


def emit(kind, **fields):
    """Queue one JSON line of this rank; flush() prints the queue in rank order."""
    line = json.dumps({"rank": rank, "kind": kind, **fields}, separators=(",", ":"))
    if len(line) >= 4000:
        raise ValueError(f"output line of {len(line)} bytes: mpiexec may split it")
    _lines.append(line)


def log(text):
    emit("log", text=text)


def flush():
    """Print every rank's queued lines, rank 0 first (collective)."""
    for r in range(nranks):
        if r == rank:
            for line in _lines:
                print(line, flush=True)
            _lines.clear()
        comm.Barrier()


# ---------------------------------------------------------------- GPU, runtime, checks

_nvml = {}


def setup(backends):
    """Pick this rank's GPU and initialize nvmath.distributed on it (collective)."""
    device_id = rank % cp.cuda.runtime.getDeviceCount()
    cp.cuda.Device(device_id).use()
    # mpi4py's communicator is the process group: used for set-up, never for compute.
    nvmath.distributed.initialize(device_id, comm, backends=backends)
    pynvml.nvmlInit()
    _nvml["gpu"] = pynvml.nvmlDeviceGetHandleByPciBusId(
        cp.cuda.Device(device_id).pci_bus_id
    )
    return device_id


THROTTLE_REASONS = {
    pynvml.nvmlClocksEventReasonSwPowerCap: "power cap",
    pynvml.nvmlClocksEventReasonHwSlowdown: "hardware slowdown",
    pynvml.nvmlClocksEventReasonSwThermalSlowdown: "software thermal",
    pynvml.nvmlClocksEventReasonHwThermalSlowdown: "hardware thermal",
    pynvml.nvmlClocksEventReasonHwPowerBrakeSlowdown: "power brake",
    pynvml.nvmlClocksEventReasonSyncBoost: "sync boost",
    pynvml.nvmlClocksEventReasonApplicationsClocksSetting: "application clocks",
}


def gpu_state():
    """SM and memory clocks (MHz) of this rank's GPU, and its throttle reasons."""
    gpu = _nvml["gpu"]
    mask = pynvml.nvmlDeviceGetCurrentClocksEventReasons(gpu)
    return {
        "sm_mhz": pynvml.nvmlDeviceGetClockInfo(gpu, pynvml.NVML_CLOCK_SM),
        "mem_mhz": pynvml.nvmlDeviceGetClockInfo(gpu, pynvml.NVML_CLOCK_MEM),
        "throttle": [name for bit, name in THROTTLE_REASONS.items() if mask & bit],
    }


def gpu_identity(device_id):
    gpu = _nvml["gpu"]
    return {
        "host": socket.gethostname(),
        "device_id": device_id,
        "gpu": pynvml.nvmlDeviceGetName(gpu),
        "pci_bus_id": cp.cuda.Device(device_id).pci_bus_id,
        "uuid": pynvml.nvmlDeviceGetUUID(gpu),
        "memory_gib": round(pynvml.nvmlDeviceGetMemoryInfo(gpu).total / 2**30, 1),
    }


def check(name, local, local_reference, tol):
    """Relative 2-norm error of the distributed result over all ranks (collective).

    Raises on every rank when it exceeds tol or is not a number.
    """
    diff = float(cp.sum(cp.abs(local - local_reference) ** 2, dtype=cp.float64))
    ref = float(cp.sum(cp.abs(local_reference) ** 2, dtype=cp.float64))
    diff, ref = comm.allreduce(np.array([diff, ref]), op=MPI.SUM)
    err = math.sqrt(diff / ref)
    if not err <= tol:  # also catches NaN
        raise AssertionError(f"{name}: relative error {err:.2e} exceeds {tol:.0e}")
    if rank == 0:
        log(f"check {name}: relative error {err:.1e} (tolerance {tol:.0e}) ok")
    return err


def random_global(shape, dtype, seed):
    """The same random array on every rank (CuPy's generator is seeded, not per GPU)."""
    dtype = np.dtype(dtype)
    rs = cp.random.RandomState(seed)
    if dtype.kind == "c":  # draw the real and imaginary parts as one real array
        real = np.dtype(dtype.char.lower())
        pairs = rs.standard_normal(shape[:-1] + (2 * shape[-1],), dtype=real)
        return pairs.view(dtype)
    return rs.standard_normal(shape, dtype=dtype)


def part(extent, index, parts):
    """The slice of `extent` that part `index` of `parts` equal parts owns."""
    if extent % parts:
        raise ValueError(f"{extent} does not split into {parts} equal parts")
    size = extent // parts
    return slice(index * size, (index + 1) * size)


# ---------------------------------------------------------------- timing


def compare(contenders, *, rounds, repeat, warmup):
    """Time contenders in interleaved rounds; every rank takes part (collective).

    contenders: {name: (prepare, run, collective)}. prepare() runs untimed before each
    call (e.g. restores the input of an in-place transform); run() is timed between
    CUDA events on this rank's current stream. All ranks start each call together (a
    barrier). A collective call's time is that of the slowest rank (MPI MAX); a
    single-GPU call's is rank 0's own. Returns {name: {"samples": [...], "rounds":
    [...]}} (ms) and the GPU state of every rank at the start and end.
    """
    names = list(contenders)
    for name in names:  # warm-up: plans, workspaces, communicators, caches
        prepare, run, _ = contenders[name]
        for _ in range(warmup):
            prepare()
            run()
    cp.cuda.Device().synchronize()
    comm.Barrier()
    start_state = gpu_state()
    start, end = cp.cuda.Event(), cp.cuda.Event()
    out = {name: {"samples": [], "rounds": []} for name in names}
    for r in range(rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            prepare, run, collective = contenders[name]
            t = np.empty(repeat)
            for i in range(repeat):
                prepare()
                cp.cuda.Device().synchronize()
                comm.Barrier()  # all ranks start the call together
                start.record()
                run()
                end.record()
                end.synchronize()
                t[i] = cp.cuda.get_elapsed_time(start, end)
            if collective:
                slowest = np.empty_like(t)
                comm.Allreduce(t, slowest, op=MPI.MAX)
                t = slowest
            else:
                t = comm.bcast(t, root=0)
            out[name]["samples"].extend(float(f"{x:.4g}") for x in t)
            out[name]["rounds"].append(float(np.median(t)))
    return out, {"start": start_state, "end": gpu_state()}


def emit_timings(study, timings, states, **extra):
    """Rank 0 emits one result line per contender; every rank emits its GPU state."""
    if rank == 0:
        for name, t in timings.items():
            emit("result", study=study, contender=name, nranks=nranks, **t, **extra)
    emit("state", study=study, **states)


# ---------------------------------------------------------------- commands


def cmd_hello(args):
    device_id = setup(["nvshmem", "nccl"])  # cuFFTMp: NVSHMEM; cuBLASMp: NCCL
    ctx = nvmath.distributed.get_context()
    me = gpu_identity(device_id)
    emit("gpu", **me)
    log(
        f"{me['host']}: GPU {device_id} {me['gpu']} (PCI {me['pci_bus_id']}, "
        f"{me['memory_gib']} GiB); context: device_id={ctx.device_id}, "
        f"ranks={ctx.process_group.nranks}, NVSHMEM={ctx.nvshmem_available}, "
        f"NCCL communicator={type(ctx.nccl_comm).__name__}"
    )
    if rank == 0:
        log(f"MPI: {MPI.Get_library_version().splitlines()[0].strip()}")
        log(
            f"nvmath-python {nvmath.__version__}, CuPy {cp.__version__}, mpi4py {sys.modules['mpi4py'].__version__}"
        )

    # Distributions: which part of a global array each rank holds.
    shape = (args.n, args.n, args.n)
    slab_x, slab_y = Slab.X.shape(rank, shape), Slab.Y.shape(rank, shape)
    in_box, out_box = pencil_boxes(shape)
    log(
        f"global {shape}: Slab.X local {slab_x}, Slab.Y local {slab_y}; pencils: "
        f"input box {in_box.lower}-{in_box.upper}, "
        f"output box {out_box.lower}-{out_box.upper}"
    )

    # Symmetric memory: the same size on every rank, on the NVSHMEM heap.
    s = nvmath.distributed.allocate_symmetric_memory((4,), cp, dtype=cp.float32)
    s[:] = rank
    try:  # a different size on each rank is refused (by every rank at once)...
        bad = nvmath.distributed.allocate_symmetric_memory(
            (rank + 1,), cp, dtype=cp.float32
        )
        nvmath.distributed.free_symmetric_memory(bad)
        refused = "accepted (one rank: every size matches)"
    except ValueError:
        refused = "refused with ValueError"
    # ... unless make_symmetric=True pads every buffer to the largest request.
    u = nvmath.distributed.allocate_symmetric_memory(
        (rank + 1,), cp, dtype=cp.float32, make_symmetric=True
    )
    log(
        f"symmetric buffers: {s.shape} filled with {float(s[0])}; unequal sizes "
        f"{refused}; make_symmetric=True gave a view of shape {u.shape}"
    )
    nvmath.distributed.free_symmetric_memory(s, u)  # collective, same order on all

    # A first distributed FFT, checked against CuPy's FFT of the whole array.
    x = random_global(shape, np.complex128, seed=8)
    reference = cp.fft.fftn(x)
    a = nvmath.distributed.allocate_symmetric_memory(slab_x, cp, dtype=cp.complex128)
    a[:] = x[part(args.n, rank, nranks)]
    b = nvmath.distributed.fft.fft(
        a, distribution=Slab.X, options={"redistribute": False}
    )
    log(
        f"fft: input {a.shape} (Slab.X) -> result {b.shape} (Slab.Y), same buffer: {b.data.ptr == a.data.ptr}"
    )
    check(
        "fft, redistribute=False",
        b,
        reference[:, part(args.n, rank, nranks)],
        tol=1e-12,
    )
    c = nvmath.distributed.fft.ifft(
        b, distribution=Slab.Y, options={"redistribute": False}
    )
    check(
        "ifft(fft(x)) = N x (unnormalized inverse)",
        c,
        math.prod(shape) * x[part(args.n, rank, nranks)],
        tol=1e-12,
    )
    a[:] = x[part(args.n, rank, nranks)]
    d = nvmath.distributed.fft.fft(a, distribution=Slab.X)  # redistribute=True
    check(
        "fft, redistribute=True (result back in Slab.X)",
        d,
        reference[part(args.n, rank, nranks)],
        tol=1e-12,
    )
    log(f"with redistribute=True the result has shape {d.shape}")
    cp.cuda.get_current_stream().synchronize()
    nvmath.distributed.free_symmetric_memory(a)  # a, b, c and d share this buffer

    nvmath.distributed.finalize()  # collective: NCCL communicator, NVSHMEM
    log(f"after finalize(): get_context() is {nvmath.distributed.get_context()}")
    flush()


def cmd_interconnect(args):
    device_id = setup(["nccl"])
    nccl_comm = nvmath.distributed.get_context().nccl_comm  # nccl4py Communicator
    count = args.mib * 2**20 // 4
    send = random_global((count,), np.float32, seed=100 + rank)
    recv = cp.empty_like(send)
    copy = cp.empty_like(send)
    stream = cp.cuda.get_current_stream()

    def alltoall():  # block j of send goes to rank j; block i of recv came from rank i
        nccl_comm.alltoall(send, recv, stream=stream.ptr)

    def nothing():
        pass

    contenders = {
        "alltoall": (nothing, alltoall, True),
        "d2d copy": (nothing, lambda: cp.copyto(copy, send), False),
    }
    peer = None
    if nranks > 1 and rank == 0:  # rank 0 also writes into GPU 1 directly
        if not cp.cuda.runtime.deviceCanAccessPeer(device_id, 1):
            raise RuntimeError("GPU 0 cannot access GPU 1 directly")
        cp.cuda.runtime.deviceEnablePeerAccess(1)
        with cp.cuda.Device(1):
            peer = cp.empty_like(send)

        def peer_copy():
            peer.data.copy_from_device_async(send.data, send.nbytes, stream)

        contenders["peer copy"] = (nothing, peer_copy, False)
    elif nranks > 1:
        contenders["peer copy"] = (nothing, nothing, False)
    timings, states = compare(
        contenders, rounds=args.rounds, repeat=args.repeat, warmup=args.warmup
    )

    # Checks: every block of recv, the local copy, the peer copy.
    block = count // nranks
    for i in range(nranks):
        sent_by_i = random_global((count,), np.float32, seed=100 + i)
        if not cp.array_equal(
            recv[i * block : (i + 1) * block],
            sent_by_i[rank * block : (rank + 1) * block],
        ):
            raise AssertionError(f"all-to-all: block from rank {i} differs")
    if not cp.array_equal(copy, send):
        raise AssertionError("device copy differs")
    if peer is not None:
        back = cp.empty_like(send)
        back.data.copy_from_device(peer.data, send.nbytes)
        if not cp.array_equal(back, send):
            raise AssertionError("peer copy differs")
    log(
        f"all-to-all, device copy{' and peer copy' if nranks > 1 else ''} checked: identical bytes"
    )
    emit_timings("interconnect", timings, states, bytes=int(send.nbytes))
    emit("gpu", **gpu_identity(device_id))
    flush()
    nvmath.distributed.finalize()


def pencil_boxes(shape):
    """Input and output boxes of a p x q pencil decomposition (p * q = ranks).

    Input: X and Y split, Z whole (pencils along Z); output: Y and Z split, X whole.
    """
    p = max(d for d in range(1, int(math.isqrt(nranks)) + 1) if nranks % d == 0)
    q = nranks // p
    i, j = divmod(rank, q)
    n0, n1, n2 = shape
    xi, yj = part(n0, i, p), part(n1, j, q)
    yi, zj = part(n1, i, p), part(n2, j, q)
    in_box = Box((xi.start, yj.start, 0), (xi.stop, yj.stop, n2))
    out_box = Box((0, yi.start, zj.start), (n0, yi.stop, zj.stop))
    return in_box, out_box


def box_slices(box):
    return tuple(slice(lo, hi) for lo, hi in zip(box.lower, box.upper))


def cmd_fft(args):
    device_id = setup(["nvshmem"])  # cuFFTMp communicates through NVSHMEM
    shape, dtype = tuple(args.shape), np.dtype(args.dtype)
    x0 = random_global(shape, dtype, seed=81)  # the global input, on every GPU

    # Single GPU (cuFFT through nvmath.fft), in place on a copy of the global input.
    x1 = cp.empty_like(x0)
    single = nvmath.fft.FFT(x1, options={"inplace": True})
    single.plan()

    # Distributed (cuFFTMp through nvmath.distributed.fft).
    if args.distribution == "slab":
        distribution, options = Slab.X, {"redistribute": False}
        in_slices = (part(shape[0], rank, nranks),)
        out_slices = (slice(None), part(shape[1], rank, nranks))
    else:
        in_box, out_box = pencil_boxes(shape)
        distribution, options = [in_box, out_box], {}
        in_slices, out_slices = box_slices(in_box), box_slices(out_box)
    local_in = x0[in_slices]
    # A symmetric-heap buffer big enough for this FFT's input and output.
    a = nvmath.distributed.fft.allocate_operand(
        local_in.shape, cp, input_dtype=dtype, distribution=distribution
    )
    a[...] = local_in
    dist = nvmath.distributed.fft.FFT(a, distribution=distribution, options=options)
    dist.plan()

    held = {}

    def restore_dist():  # the transform is in place: give it its input back
        a[...] = local_in

    def run_dist():  # sync_symmetric_memory=True: every rank's stores are visible
        held["dist"] = dist.execute()

    def restore_single():
        x1[...] = x0

    def run_single():
        single.execute()

    timings, states = compare(
        {
            "distributed": (restore_dist, run_dist, True),
            "single GPU": (restore_single, run_single, False),
        },
        rounds=args.rounds,
        repeat=args.repeat,
        warmup=args.warmup,
    )
    # The last timed calls left FFT(x0) in x1 and this rank's part of it in held.
    err = check(
        f"distributed FFT {shape} against one GPU",
        held["dist"],
        x1[out_slices],
        tol=args.tol,
    )
    local_bytes = int(local_in.nbytes)
    emit_timings(
        "fft",
        timings,
        states,
        shape=list(shape),
        dtype=dtype.name,
        distribution=args.distribution,
        local_bytes=local_bytes,
        global_bytes=int(x0.nbytes),
        error=err,
    )
    if rank == 0:
        log(
            f"FFT {shape} {dtype.name} {args.distribution} on {nranks} GPU(s): "
            f"local input {local_in.shape}, result {held['dist'].shape}"
        )
    emit("gpu", **gpu_identity(device_id))
    flush()
    dist.free()
    single.free()
    cp.cuda.get_current_stream().synchronize()
    nvmath.distributed.free_symmetric_memory(a)
    nvmath.distributed.finalize()


def cmd_matmul(args):
    device_id = setup(["nccl"])  # cuBLASMp communicates through NCCL
    m, n, k = args.m, args.n, args.k
    dtype = np.dtype(args.dtype)
    A = random_global((m, k), dtype, seed=82)  # the global operands, on every GPU
    B = random_global((k, n), dtype, seed=83)
    rows, cols = part(m, rank, nranks), part(n, rank, nranks)

    # Single GPU (cuBLAS through nvmath.linalg.advanced), planned once.
    single = nvmath.linalg.advanced.Matmul(A, B)
    single.plan()

    # Distributed: cuBLASMp wants column-major (Fortran) local blocks. a holds A's rows
    # as A.T's columns (Slab.Y of the k x m matrix A.T, flagged transposed), b holds
    # B's columns (Slab.Y), and the result holds rows of A @ B (Slab.X): the
    # AllGather+GEMM pattern of cuBLASMp's tensor-parallel algorithms.
    a = A[rows].T.copy(order="F")  # (k, m / N)
    b = B[:, cols].copy(order="F")  # (k, n / N)
    qualifiers = np.zeros((3,), dtype=matrix_qualifiers_dtype)
    qualifiers[0]["is_transpose"] = True
    dist = nvmath.distributed.linalg.advanced.Matmul(
        a, b, distributions=[Slab.Y, Slab.Y, Slab.X], qualifiers=qualifiers
    )
    dist.plan()

    held = {}

    def nothing():
        pass

    def run_dist():
        held["dist"] = dist.execute()

    def run_single():
        held["single"] = single.execute()

    timings, states = compare(
        {
            "distributed": (nothing, run_dist, True),
            "single GPU": (nothing, run_single, False),
        },
        rounds=args.rounds,
        repeat=args.repeat,
        warmup=args.warmup,
    )
    c1 = held["single"]
    if rank == 0:  # the baseline itself, first rows in FP64
        top = A[:4].astype(np.float64) @ B.astype(np.float64)
        err = float(cp.linalg.norm(c1[:4] - top) / cp.linalg.norm(top))
        if not err <= args.tol:
            raise AssertionError(f"single-GPU product: relative error {err:.1e}")
        log(f"check single GPU, first rows against FP64: relative error {err:.1e} ok")
    err = check(
        f"distributed product {m}x{n}x{k} against one GPU",
        held["dist"],
        c1[rows],
        tol=args.tol,
    )
    device = cp.cuda.Device(device_id)
    sm_clock_hz = cp.cuda.runtime.deviceGetAttribute(13, device_id) * 1e3  # clockRate
    cc = device.compute_capability
    fp32_lanes = 64 if cc in ("70", "80") else 128
    nominal = device.attributes["MultiProcessorCount"] * fp32_lanes * 2 * sm_clock_hz
    emit_timings(
        "matmul",
        timings,
        states,
        m=m,
        n=n,
        k=k,
        dtype=dtype.name,
        flops=2 * m * n * k,
        nominal_fp32=nominal,
        error=err,
    )
    if rank == 0:
        log(
            f"matmul {m}x{n}x{k} {dtype.name} on {nranks} GPU(s): local a {a.shape}, "
            f"b {b.shape}, result {held['dist'].shape} "
            f"(Fortran order: {held['dist'].flags.f_contiguous})"
        )
    emit("gpu", **gpu_identity(device_id))
    flush()
    dist.free()
    single.free()
    nvmath.distributed.finalize()


def main():
    parser = argparse.ArgumentParser(prog="mpiexec -n N python3 data/08_worker.py")
    commands = parser.add_subparsers(dest="command", required=True)
    hello = commands.add_parser("hello")
    hello.add_argument("--n", type=int, default=64, help="global FFT extent per axis")
    for name in ("interconnect", "fft", "matmul"):
        sub = commands.add_parser(name)
        sub.add_argument("--rounds", type=int, default=5)
        sub.add_argument("--repeat", type=int, default=10)
        sub.add_argument("--warmup", type=int, default=2)
        if name == "interconnect":
            sub.add_argument("--mib", type=int, default=1024, help="bytes per rank")
        elif name == "fft":
            sub.add_argument("--shape", type=int, nargs=3, required=True)
            sub.add_argument("--dtype", default="complex64")
            sub.add_argument("--distribution", choices=["slab", "box"], default="slab")
            sub.add_argument("--tol", type=float, default=1e-4)
        else:
            for extent in ("m", "n", "k"):
                sub.add_argument(f"--{extent}", type=int, required=True)
            sub.add_argument("--dtype", default="float32")
            sub.add_argument("--tol", type=float, default=1e-4)
    args = parser.parse_args()
    {
        "hello": cmd_hello,
        "interconnect": cmd_interconnect,
        "fft": cmd_fft,
        "matmul": cmd_matmul,
    }[args.command](args)


if __name__ == "__main__":
    main()
