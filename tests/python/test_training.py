"""A training loop written in Python gives the losses of the C++ runner (tapegrad.sst2.train,
the runner's own code) for the same seed, step for step."""

import numpy as np
import pytest

import tapegrad as tg


def python_run(config, data):
    """The runner's training steps (experiments/runner/trainer.cpp), written with the API."""
    seed, ffn = config["seeds"][0], config["ffn"]
    train = data["train"]
    model = tg.nn.Classifier(vocab_size=data["vocab_size"], ffn_kind=ffn, seed=seed)
    opt = tg.optim.AdamW(model.named_parameters(), lr=1e-4, betas=(0.9, 0.999), eps=1e-8,
                         weight_decay=0.01)
    dropout = tg.Generator(tg.sst2.dropout_seed(seed))
    losses = []
    rows, batch = len(train["labels"]), config.get("batch", 16)
    for epoch in range(1, config["epochs"] + 1):
        order = np.asarray(tg.sst2.epoch_permutation(rows, seed, epoch))
        for begin in range(0, rows, batch):
            idx = order[begin:begin + batch]
            opt.zero_grad()
            logits = model(tg.tensor(train["ids"][idx]), tg.tensor(train["mask"][idx]),
                           generator=dropout)
            loss = tg.cross_entropy(logits, tg.tensor(train["labels"][idx]))
            loss.backward()
            opt.step()
            losses.append(loss.item())
    return losses


@pytest.mark.parametrize("ffn", ["relu", "swiglu"])
def test_python_loop_matches_the_runner(ffn, sst2_paths, tmp_path):
    config = dict(sst2_paths, ffn=ffn, seeds=[0], epochs=2, limit=80, dev_limit=32,
                  log_every=1, out=str(tmp_path), quiet=True)
    metrics = tg.sst2.train(config)
    assert metrics["status"] == "finished" and metrics["ffn"] == ffn
    runner_losses = [s["loss"] for s in metrics["steps"]]
    assert len(runner_losses) == 10  # 80 rows / 16, two epochs
    losses = python_run(config, tg.sst2.load_data(config))
    np.testing.assert_array_equal(np.float32(losses), np.float32(runner_losses))
    assert (tmp_path / f"{ffn}_seed0.json").exists()


def test_train_reports_bad_configs_as_exceptions(sst2_paths, tmp_path):
    with pytest.raises(ValueError, match="d_model|heads"):
        tg.sst2.train(dict(sst2_paths, d_model=30, heads=4, out=str(tmp_path)))
    with pytest.raises(ValueError, match="one \\(ffn, seed\\)"):
        tg.sst2.train(dict(sst2_paths, ffn=["relu", "swish"], out=str(tmp_path)))
    with pytest.raises(ValueError, match="no_such_key"):
        tg.sst2.train(dict(sst2_paths, no_such_key=1))
    with pytest.raises(ValueError, match="nowhere"):
        tg.sst2.train({"data_dir": "/nowhere", "ffn": "relu", "out": str(tmp_path)})


def test_divergence_is_a_runtime_error(sst2_paths, tmp_path):
    config = dict(sst2_paths, ffn="relu", seeds=[0], epochs=1, limit=48, dev_limit=16,
                  out=str(tmp_path), quiet=True, debug_nan_at_step=2)
    with pytest.raises(RuntimeError, match="diverged.*NaN"):
        tg.sst2.train(config)
