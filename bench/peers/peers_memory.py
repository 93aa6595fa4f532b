"""One memory yardstick for every program: the process's GPU memory as NVML reports it (its CUDA
context included), sampled by a thread of the driver, peak per segment of the run.

A segment is one sequence length of a worker that runs several (peers_jobs marks them); what comes
before the first mark is the load. Where NVML does not list the process under its own pid (a PID
namespace), the sampler falls back, in this order, to the sum over the processes NVML lists (only
the benchmark uses the GPU while it runs), then to the device's used memory minus what was used
before the program started. Without NVML (a CPU dry run) it reads the process's resident set.
The source used is reported with every peak.
"""
import threading
import time

INTERVAL_S = 0.02


def visible_gpu(env=None):
    """The GPU the programs compute on, as NVML names it: the first entry of CUDA_VISIBLE_DEVICES
    (an index, or a UUID such as GPU-...; NVML counts every GPU, not only the visible ones), else
    0. Returns ("index", int) or ("uuid", str)."""
    import os
    first = (os.environ if env is None else env).get("CUDA_VISIBLE_DEVICES", "").split(",")[0]
    first = first.strip()
    if first.isdigit():
        return "index", int(first)
    if first.startswith(("GPU-", "MIG-")):
        return "uuid", first
    return "index", 0


class NvmlReader:
    """GPU memory of a process through pynvml (package nvidia-ml-py), on the visible GPU."""

    def __init__(self):
        import pynvml
        self.nv = pynvml
        pynvml.nvmlInit()
        kind, gpu = visible_gpu()
        self.handle = (pynvml.nvmlDeviceGetHandleByUUID(gpu) if kind == "uuid"
                       else pynvml.nvmlDeviceGetHandleByIndex(gpu))
        self.baseline = self.device_used()

    def device_used(self):
        return self.nv.nvmlDeviceGetMemoryInfo(self.handle).used

    def describe(self):
        name = self.nv.nvmlDeviceGetName(self.handle)
        name = name.decode() if isinstance(name, bytes) else name
        driver = self.nv.nvmlSystemGetDriverVersion()
        driver = driver.decode() if isinstance(driver, bytes) else driver
        total = self.nv.nvmlDeviceGetMemoryInfo(self.handle).total
        return f"{name}, {total // 2**20} MiB, driver {driver}"

    def read(self, pid):
        """(bytes, source) for process `pid`."""
        procs = self.nv.nvmlDeviceGetComputeRunningProcesses(self.handle)
        return pick(procs, pid, self.device_used() - self.baseline)


def pick(procs, pid, device_delta):
    """The yardstick from NVML's process list (objects with .pid and .usedGpuMemory, None when
    NVML cannot tell), in the fallback order of this module's docstring."""
    used = [p.usedGpuMemory for p in procs if p.usedGpuMemory is not None]
    for p in procs:
        if p.pid == pid and p.usedGpuMemory is not None:
            return p.usedGpuMemory, "nvml-process"
    if used:
        return sum(used), "nvml-all-processes"
    return max(device_delta, 0), "nvml-device-delta"


class ProcReader:
    """Resident set of a process (a CPU dry run has no GPU)."""

    def describe(self):
        return "no NVML: host resident set (VmRSS) of the process"

    def read(self, pid):
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) * 1024, "host-rss"
        except OSError:
            pass
        return 0, "host-rss"


def open_reader():
    """NvmlReader when pynvml and a GPU answer, else ProcReader."""
    try:
        return NvmlReader()
    except Exception:  # no pynvml, no driver, no GPU
        return ProcReader()


class Sampler:
    """Polls `reader` for `pid` every INTERVAL_S until stop(); keeps the peak of the load (before
    the first mark) and of each marked segment, each with the source of its peak reading."""

    def __init__(self, reader, pid, interval=INTERVAL_S):
        self.reader, self.pid, self.interval = reader, pid, interval
        self.lock = threading.Lock()
        self.segment = None  # None = loading
        self.peaks = {None: (0, "")}  # segment key (None: the load) -> (peak bytes, its source)
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def sample(self):
        """One reading, added to the current segment (tests call this directly)."""
        try:
            value, source = self.reader.read(self.pid)
        except Exception:  # the process ended between the listing and the reading
            return
        with self.lock:
            if value > self.peaks[self.segment][0]:
                self.peaks[self.segment] = (value, source)

    def mark(self, key):
        """From now on readings belong to segment `key`."""
        self.sample()  # close the previous segment with a last reading
        with self.lock:
            self.segment = key
            self.peaks.setdefault(key, (0, ""))
        self.sample()

    def stop(self):
        self.done.set()
        if self.thread.is_alive():
            self.thread.join()

    def _run(self):
        while not self.done.is_set():
            self.sample()
            time.sleep(self.interval)

    def peak_of(self, key):
        """(segment peak, load peak, source of the larger): a run's number is the larger, the
        peak a fresh process at that length would have had, loading included."""
        with self.lock:
            segment, seg_source = self.peaks.get(key, (0, ""))
            load, load_source = self.peaks[None]
        return segment, load, seg_source if segment >= load else load_source
