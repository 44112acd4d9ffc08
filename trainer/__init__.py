"""Training a TransformerLM built from an implementation package: train.py's engine.

- corpus.py     the built-in corpus: a Markov source whose entropy rate (the floor) is known exactly
- data.py       what a run trains on: the built-in corpus or a text file, as token ids
- loop.py       the training loop, written once against a package's public names (train.py, the grader, the benchmark)
- history.py    the losses of a run: losses.csv and the loss curve
- options.py    train.py's command line
- runs.py       run.json, the folder of a run, and the rules of --resume and --force
- package.py    importing the trained package, and explaining its errors in one line
- device.py     choosing cpu, cuda or mps
- session.py    one run: evaluation, checkpoints, the plot and the samples
- progress.py   progress in a terminal (a bar) and elsewhere (a plain line every few seconds)
- interrupt.py  Ctrl-C stops after the current step
- cli.py        main(): the pieces above, wired together
"""
