"""Operations run by the fab tasks: plan, then execute, under a lock, with a journal."""
