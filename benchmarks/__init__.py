"""micrograd_nn's benchmarks, one package: ``python -m benchmarks --help``.

Modules: ``__main__`` (the command line), ``workloads`` (what is measured: upstream's demo
step, larger MLPs, chains, the floor), ``timing`` (CPU time, engines alternating, fresh
processes, the conditions), ``figures`` (the timed figures of one run), ``instructions``
(valgrind's callgrind counts), ``report`` (the markdown tables README's Performance section
is made of), ``extras`` (the step page, backward vs grad, NumPy digits) and ``gradcheck``
(the cost of checking gradients). Importing the package imports no engine.
"""
