"""The web app (`imi demo`): the Gradio shell, the model catalogue, and where a first image comes from."""
