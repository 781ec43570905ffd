"""One inference object per task (``from_pretrained`` + the task's verb), shared by the Python API,
the CLI, the web app, the study and the evaluation: ``edit`` (:class:`Editor`) and its multi-turn
:class:`~imi.pipelines.session.EditSession`."""
