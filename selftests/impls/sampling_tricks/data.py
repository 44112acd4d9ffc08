"""Text to ids, ids to batches, and measuring and saving a model."""

import torch
from torch import Tensor


class CharTokenizer:
    def __init__(self, text: str):
        self.chars = sorted(set(text))
        self.index = dict(zip(self.chars, range(len(self.chars))))

    @property
    def vocab_size(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> list[int]:
        missing = set(text) - self.index.keys()
        if missing:
            raise ValueError(f"cannot encode {sorted(missing)[0]!r}: not one of the tokenizer's characters")
        return [self.index[c] for c in text]

    def decode(self, ids) -> str:
        return "".join(self.chars[i] for i in torch.as_tensor(ids).tolist())


def get_batch(data, batch_size: int, context_length: int, device="cpu", generator=None) -> tuple[Tensor, Tensor]:
    data = torch.as_tensor(data)
    if data.numel() <= context_length:
        raise ValueError(f"{data.numel()} tokens hold no window of {context_length} plus a next token")
    starts = torch.randint(data.numel() - context_length, (batch_size,), generator=generator)
    positions = starts[:, None] + torch.arange(context_length)  # (B, T)
    return data[positions].long().to(device), data[positions + 1].long().to(device)


def estimate_loss(model, data, batch_size: int, context_length: int, eval_iters: int, device="cpu",
                  generator=None) -> float:
    was_training = model.training
    model.eval()
    with torch.inference_mode():
        losses = [model(*get_batch(data, batch_size, context_length, device, generator))[1].item()
                  for _ in range(eval_iters)]
    model.train(was_training)
    return sum(losses) / eval_iters


def save_checkpoint(out, model, optimizer, iteration: int) -> None:
    torch.save({"weights": model.state_dict(), "optimizer": optimizer.state_dict(), "step": iteration}, out)


def load_checkpoint(src, model, optimizer) -> int:
    saved = torch.load(src, map_location="cpu")
    model.load_state_dict(saved["weights"])
    optimizer.load_state_dict(saved["optimizer"])
    return saved["step"]
