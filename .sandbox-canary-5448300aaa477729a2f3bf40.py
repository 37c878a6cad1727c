# canary-repo-file-5448300aaa477729a2f3bf40
