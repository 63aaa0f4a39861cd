"""Running GeoGAN algorithms in a background QgsTask from the plugin's own entry points (menu, Python API).

The work runs in QGIS's task manager thread; layers are added to the project only when the task has
finished, on the main thread.
"""

from qgis.core import (
    QgsApplication,
    QgsProcessingAlgRunnerTask,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProcessingOutputLayerDefinition,
    QgsProject,
)

from .layers import add_result_layers

_running = set()  # context, feedback and callbacks must outlive the Python call that started the task


def run_algorithm_in_task(algorithm_id: str, parameters: dict, on_finished=None, project=None,
                          feedback: QgsProcessingFeedback = None) -> QgsProcessingAlgRunnerTask:
    """Start `algorithm_id` in a QgsTask and return the task (cancel it with task.cancel()).

    Raster outputs given as paths are loaded into `project` (default: the current project) when the task
    succeeds. `on_finished(successful, results)` is then called on the main thread.
    """
    algorithm = QgsApplication.processingRegistry().createAlgorithmById(algorithm_id)
    if algorithm is None:
        raise QgsProcessingException(f"No algorithm {algorithm_id!r}; is the GeoGAN plugin enabled?")
    project = project or QgsProject.instance()
    context = QgsProcessingContext()
    context.setProject(project)
    feedback = feedback or QgsProcessingFeedback()
    parameters = dict(parameters)
    for output in algorithm.destinationParameterDefinitions():
        value = parameters.get(output.name())
        if output.type() == "rasterDestination" and isinstance(value, str):
            parameters[output.name()] = QgsProcessingOutputLayerDefinition(value, project)

    task = QgsProcessingAlgRunnerTask(algorithm, parameters, context, feedback)
    job = (task, algorithm, context, feedback)
    _running.add(job)

    def executed(successful: bool, results: dict) -> None:
        _running.discard(job)
        if successful:
            add_result_layers(context, feedback)
        if on_finished is not None:
            on_finished(successful, results)

    task.executed.connect(executed)
    QgsApplication.taskManager().addTask(task)
    return task
