# The Python API example of the original's docs/DISTRIBUTED_PROCESSING.md, unchanged.
from auralith_pipeline.distributed import DistributedPipeline, JobConfig

job_cfg = JobConfig(
    name="my-processing-job",
    num_workers=4,
    timeout=3600,
)

pipeline = DistributedPipeline(job_cfg, embedded=True, num_workers=4)

result = pipeline.run(
    input_dir="data/raw/",
    output_dir="shards/",
    tokenizers_dir="tokenizers/",
    max_seq_len=4096,
    shard_size=10_000,
    files_per_task=500,
)

print(f"Status:    {result['status']}")
print(f"Tasks:     {result['completed_tasks']}/{result['total_tasks']}")
print(f"Failed:    {result['failed_tasks']}")
print(f"Elapsed:   {result['elapsed_seconds']:.1f}s")
