{
  "targets": [
    {
      "target_name": "stack_spawn",
      "sources": ["spawn.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    }
  ]
}
