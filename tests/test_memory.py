"""Memory stays flat: a process running many models does not keep them.

Mesa 3.3 keeps every model alive through ``Agent._ids`` (Mesa issue 3179): about 1.3 MB a baseline run,
1.4 GB over a calibration of 1,100 runs. Our agents number themselves from a weak-keyed table
(agents._AgentNumbers), so a model is freed once nothing holds it. benchmarks/bench_memory.py checks
5000 runs; here, at a smaller scale, a model is collected and 300 runs leave the resident set flat.
"""

import gc
import resource
import weakref

import mesa

from diffusion import DiffusionModel, make_parameters


def test_a_finished_or_abandoned_model_is_freed():
    for run in (True, False):
        model = DiffusionModel(seed=0)
        if run:
            model.run()
        ref = weakref.ref(model)
        del model
        gc.collect()
        assert ref() is None
    assert not any(isinstance(key, DiffusionModel) for key in mesa.Agent._ids)


def test_a_released_model_is_freed_without_the_cyclic_collector():
    """Runners release a model once its tables are read; it must then go at once, not at the next full
    collection (which a large process runs rarely: a sweep's models piled up by thousands)."""
    params = make_parameters({"time": {"years": 1}})
    gc.disable()
    try:
        model = DiffusionModel(params, seed=0).run()
        model.release()
        ref = weakref.ref(model)
        del model
        assert ref() is None
    finally:
        gc.enable()


def resident_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * resource.getpagesize() / 2**20


def test_many_runs_in_one_process_leave_the_resident_set_flat():
    params = make_parameters({})
    for replicate in range(100):   # caches, compiled code and allocator pools settle first
        DiffusionModel(params, seed=1, replicate=replicate).run()
    gc.collect()
    before = resident_mb()
    for replicate in range(100, 400):
        DiffusionModel(params, seed=1, replicate=replicate).run()
    gc.collect()
    grown = resident_mb() - before
    assert grown < 20, f"300 runs grew the resident set by {grown:.1f} MB (Mesa's leak: about 380 MB)"
