"""Part 2: putting the blocks together into a transformer, one step at a time."""

import math

import torch
import torch.nn as nn

from .building_blocks import Embedding, Linear, RMSNorm, SwiGLU, cross_entropy, scaled_dot_product_attention


class LayerNorm(nn.Module):
    def __init__(self, d_model, eps=1e-5, bias=True, device=None, dtype=None):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d_model, device=device, dtype=dtype))
        if bias:
            self.bias = nn.Parameter(torch.zeros(d_model, device=device, dtype=dtype))
        else:
            self.bias = None

    def forward(self, x):
        original_dtype = x.dtype
        if original_dtype == torch.float16 or original_dtype == torch.bfloat16:
            x = x.to(torch.float32)
        # step 1: the mean of each token's vector
        mean = x.mean(dim=-1, keepdim=True)
        # step 2: the (biased) variance: the mean of the squared distances from the mean
        centred = x - mean
        variance = (centred * centred).mean(dim=-1, keepdim=True)
        # step 3: normalise
        standard_deviation = torch.sqrt(variance + self.eps)
        normalised = centred / standard_deviation
        # step 4: gain, then bias
        output = normalised * self.weight
        if self.bias is not None:
            output = output + self.bias
        return output.to(original_dtype)


def gelu(x):
    # the exact GELU with erf (not the tanh approximation)
    phi = 0.5 * (1 + torch.erf(x / math.sqrt(2)))
    return x * phi


class BiasedLinear(Linear):
    def __init__(self, in_features, out_features, device=None, dtype=None):
        super().__init__(in_features, out_features, device=device, dtype=dtype)
        # one bias per OUTPUT feature
        self.bias = nn.Parameter(torch.zeros(out_features, device=device, dtype=dtype))

    def forward(self, x):
        without_bias = super().forward(x)
        return without_bias + self.bias


class GeluMLP(nn.Module):
    def __init__(self, d_model, d_ff, bias=True, device=None, dtype=None):
        super().__init__()
        if bias:
            self.w1 = BiasedLinear(d_model, d_ff, device=device, dtype=dtype)
            self.w2 = BiasedLinear(d_ff, d_model, device=device, dtype=dtype)
        else:
            self.w1 = Linear(d_model, d_ff, device=device, dtype=dtype)
            self.w2 = Linear(d_ff, d_model, device=device, dtype=dtype)

    def forward(self, x):
        hidden = self.w1(x)  # up
        hidden = gelu(hidden)  # activation in between
        output = self.w2(hidden)  # down
        return output


class RotaryPositionalEmbedding(nn.Module):
    def __init__(self, theta, d_k, max_seq_len, device=None):
        super().__init__()
        if d_k % 2 != 0:
            raise ValueError(f"d_k must be even for RoPE (pairs of numbers), but it is {d_k}")
        # pair i spins with the frequency theta^(-2i / d_k)
        pair_index = torch.arange(d_k // 2, device=device, dtype=torch.float32)
        exponent = -2 * pair_index / d_k
        frequency = theta**exponent
        # the angle for every position and every pair: (max_seq_len, d_k // 2)
        position = torch.arange(max_seq_len, device=device, dtype=torch.float32)
        angle = position.unsqueeze(1) * frequency.unsqueeze(0)
        self.register_buffer("cos", torch.cos(angle), persistent=False)
        self.register_buffer("sin", torch.sin(angle), persistent=False)

    def forward(self, x, token_positions):
        # look up the angles of each token's position: (..., T, d_k // 2)
        cos = self.cos[token_positions]
        sin = self.sin[token_positions]
        # the adjacent pairs: x[0] with x[1], x[2] with x[3], ...
        first_of_pair = x[..., 0::2]
        second_of_pair = x[..., 1::2]
        # rotate each pair by its angle
        new_first = first_of_pair * cos - second_of_pair * sin
        new_second = first_of_pair * sin + second_of_pair * cos
        # put the pairs back where they came from
        output = torch.empty_like(x)
        output[..., 0::2] = new_first
        output[..., 1::2] = new_second
        return output


class MultiHeadSelfAttention(nn.Module):
    def __init__(self, d_model, num_heads, bias=False, rope=None, device=None, dtype=None):
        super().__init__()
        self.d_model = d_model
        self.num_heads = num_heads
        self.d_head = d_model // num_heads
        self.rope = rope
        self.q_proj = Linear(d_model, d_model, device=device, dtype=dtype)
        self.k_proj = Linear(d_model, d_model, device=device, dtype=dtype)
        self.v_proj = Linear(d_model, d_model, device=device, dtype=dtype)
        if bias:
            self.output_proj = BiasedLinear(d_model, d_model, device=device, dtype=dtype)
        else:
            self.output_proj = Linear(d_model, d_model, device=device, dtype=dtype)

    def forward(self, x, token_positions=None):
        sequence_length = x.shape[-2]

        # step 1: queries, keys and values for all heads at once: (..., T, C)
        all_queries = self.q_proj(x)
        all_keys = self.k_proj(x)
        all_values = self.v_proj(x)

        # step 2: the positions, if rope needs them
        if self.rope is not None and token_positions is None:
            token_positions = torch.arange(sequence_length, device=x.device)

        # step 3: the causal mask: True on and below the diagonal (every token sees itself and the past)
        ones = torch.ones(sequence_length, sequence_length, device=x.device)
        lower_triangle = torch.tril(ones)
        causal_mask = lower_triangle == 1

        # step 4: one head at a time; head number h owns features h * d_head ... (h + 1) * d_head - 1
        head_outputs = []
        for h in range(self.num_heads):
            start = h * self.d_head
            end = start + self.d_head
            q = all_queries[..., start:end]  # (..., T, d_head)
            k = all_keys[..., start:end]
            v = all_values[..., start:end]
            if self.rope is not None:
                # rotate queries and keys only, never the values
                q = self.rope(q, token_positions)
                k = self.rope(k, token_positions)
            head_output = scaled_dot_product_attention(q, k, v, causal_mask)  # scaled by sqrt(d_head)
            head_outputs.append(head_output)

        # step 5: glue the heads back together in order (head 0 first) and mix them
        concatenated = torch.cat(head_outputs, dim=-1)  # (..., T, C)
        output = self.output_proj(concatenated)
        return output


def make_norm(config, device=None, dtype=None):
    if config.norm == "rmsnorm":
        return RMSNorm(config.d_model, config.eps, device=device, dtype=dtype)
    else:
        return LayerNorm(config.d_model, config.eps, bias=config.bias, device=device, dtype=dtype)


class TransformerBlock(nn.Module):
    def __init__(self, config, rope=None, device=None, dtype=None):
        super().__init__()
        self.ln1 = make_norm(config, device=device, dtype=dtype)
        self.attn = MultiHeadSelfAttention(
            config.d_model, config.num_heads, bias=config.bias, rope=rope, device=device, dtype=dtype
        )
        self.ln2 = make_norm(config, device=device, dtype=dtype)
        if config.ffn == "swiglu":
            self.ffn = SwiGLU(config.d_model, config.d_ff, device=device, dtype=dtype)
        else:
            self.ffn = GeluMLP(config.d_model, config.d_ff, bias=config.bias, device=device, dtype=dtype)

    def forward(self, x, token_positions=None):
        # first half: attention (tokens talk to each other), with a residual connection
        normed = self.ln1(x)
        attention_output = self.attn(normed, token_positions)
        x = x + attention_output
        # second half: the MLP (each token on its own), with a residual connection
        normed = self.ln2(x)
        mlp_output = self.ffn(normed)
        x = x + mlp_output
        return x


class TransformerLM(nn.Module):
    def __init__(self, config, device=None, dtype=None):
        super().__init__()
        self.config = config
        self.token_embeddings = Embedding(config.vocab_size, config.d_model, device=device, dtype=dtype)

        if config.positions == "learned":
            self.position_embeddings = Embedding(config.context_length, config.d_model, device=device, dtype=dtype)
        else:
            self.position_embeddings = None

        if config.positions == "rope":
            d_head = config.d_model // config.num_heads
            self.rope = RotaryPositionalEmbedding(config.rope_theta, d_head, config.context_length, device=device)
        else:
            self.rope = None

        blocks = []
        for _ in range(config.num_layers):
            blocks.append(TransformerBlock(config, rope=self.rope, device=device, dtype=dtype))
        self.layers = nn.ModuleList(blocks)

        self.ln_final = make_norm(config, device=device, dtype=dtype)

        if config.bias:
            self.lm_head = BiasedLinear(config.d_model, config.vocab_size, device=device, dtype=dtype)
        else:
            self.lm_head = Linear(config.d_model, config.vocab_size, device=device, dtype=dtype)

    def forward(self, idx, targets=None):
        batch_size, sequence_length = idx.shape
        if sequence_length > self.config.context_length:
            raise ValueError(
                f"the sequence has {sequence_length} tokens but the model only takes "
                f"context_length = {self.config.context_length}"
            )

        # step 1: the positions 0 .. T-1, on the same device as idx
        positions = torch.arange(sequence_length, device=idx.device)

        # step 2: token embeddings (B, T, C), plus learned position embeddings if the model has them
        x = self.token_embeddings(idx)
        if self.position_embeddings is not None:
            position_vectors = self.position_embeddings(positions)  # (T, C), broadcasts over the batch
            x = x + position_vectors

        # step 3: all the blocks
        for block in self.layers:
            x = block(x, positions)

        # step 4: the final norm, then the logits
        x = self.ln_final(x)
        logits = self.lm_head(x)

        if targets is None:
            return logits
        loss = cross_entropy(logits, targets)
        return logits, loss


def count_parameters(config):
    C = config.d_model
    V = config.vocab_size
    F = config.d_ff
    L = config.num_layers

    # embeddings
    token_embedding = V * C
    if config.positions == "learned":
        position_embedding = config.context_length * C
    else:
        position_embedding = 0  # rotary positions have no parameters

    # one norm: a gain, and a bias if it is a LayerNorm with bias
    if config.norm == "layernorm" and config.bias:
        one_norm = C + C
    else:
        one_norm = C

    # attention: q, k, v and output projections, and the output projection's bias
    attention = 4 * C * C
    if config.bias:
        attention = attention + C

    # feed-forward
    if config.ffn == "swiglu":
        feed_forward = 3 * C * F  # w1, w2, w3
    else:
        feed_forward = C * F + F * C  # w1 and w2
        if config.bias:
            feed_forward = feed_forward + F + C  # their biases

    one_block = attention + feed_forward + 2 * one_norm
    all_blocks = L * one_block

    final_norm = one_norm

    lm_head = C * V
    if config.bias:
        lm_head = lm_head + V

    total = token_embedding + position_embedding + all_blocks + final_norm + lm_head
    return total
