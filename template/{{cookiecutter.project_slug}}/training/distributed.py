"""Data-parallel training (DDP) when started by torchrun; nothing changes otherwise.

``torchrun --nproc-per-node 4 -m training.train key=value ...`` starts one
process per GPU (or per CPU share): each reads its own part of the training
split, and DDP averages the gradients so every process holds the same model.
``batch_size`` stays the *global* batch: each of N processes takes
``batch_size / N`` examples per step, so a run's hyperparameters mean the same
thing on 1 GPU or 4 (batch normalisation aside: in training, each process
normalises over its own share of the batch). Process 0 alone writes
checkpoints, metrics and the tracker's run. Backends: nccl on CUDA, gloo on
CPU. Several nodes: the same command on each node with ``--nnodes``,
``--node-rank`` and ``--rdzv-endpoint`` (see the training handbook).
"""

import os
from dataclasses import dataclass

import torch
from torch import distributed, nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import Dataset, DistributedSampler

from .config import ConfigError
from .engine import PassResult


@dataclass(frozen=True)
class Cluster:
    """Where this process sits among the training processes."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def cluster_from_env() -> Cluster:
    """torchrun's RANK, WORLD_SIZE and LOCAL_RANK; a single process without them."""
    return Cluster(
        rank=int(os.environ.get("RANK", "0")),
        world_size=int(os.environ.get("WORLD_SIZE", "1")),
        local_rank=int(os.environ.get("LOCAL_RANK", "0")),
    )


def start(cluster: Cluster, device: torch.device) -> torch.device:
    """Join the process group; the device this process trains on."""
    if not cluster.enabled:
        return device
    if device.type == "cuda":
        device = torch.device("cuda", cluster.local_rank)
        torch.cuda.set_device(device)
    backend = "nccl" if device.type == "cuda" else "gloo"
    if not distributed.is_initialized():
        distributed.init_process_group(backend=backend)
    return device


def stop(cluster: Cluster) -> None:
    if cluster.enabled and distributed.is_initialized():
        distributed.destroy_process_group()


def per_process_batch_size(batch_size: int, cluster: Cluster) -> int:
    if batch_size % cluster.world_size:
        raise ConfigError(
            f"batch_size={batch_size} is the global batch and must divide evenly "
            f"among the {cluster.world_size} training processes"
        )
    return batch_size // cluster.world_size


def shard_sampler(dataset: Dataset, cluster: Cluster, seed: int) -> DistributedSampler:
    """This process's share of the training split, reshuffled every epoch."""
    return DistributedSampler(
        dataset,
        num_replicas=cluster.world_size,
        rank=cluster.rank,
        shuffle=True,
        seed=seed,
    )


def wrap(model: nn.Module, device: torch.device) -> nn.Module:
    """The model under DDP, which averages gradients across processes."""
    device_ids = [device.index] if device.type == "cuda" else None
    return DistributedDataParallel(model, device_ids=device_ids)


def combine(result: PassResult) -> PassResult:
    """One epoch's figures over all processes (a no-op in a single process).

    Every process's targets and predictions are gathered, so the epoch's
    scores are computed over the whole split, whatever the metric.
    """
    if not distributed.is_initialized():
        return result
    shares: list[PassResult | None] = [None] * distributed.get_world_size()
    distributed.all_gather_object(shares, result)
    parts = [share for share in shares if share is not None]
    samples = sum(part.samples for part in parts)
    return PassResult(
        loss=sum(part.loss * part.samples for part in parts) / samples,
        samples=samples,
        seconds=max(part.seconds for part in parts),
        targets=[target for part in parts for target in part.targets],
        predictions=[answer for part in parts for answer in part.predictions],
    )
