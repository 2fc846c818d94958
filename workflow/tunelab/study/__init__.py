"""Study stage: a study file read, validated against the schema, every default filled once, and
resolved into one immutable, typed `Study` that every other stage reads. Imports nothing of tunelab
outside this package."""

from tunelab.study.load import STUDY_NAME, StrictLoader, check_study_name, load_study, study_from_dict
from tunelab.study.resolved import Study
from tunelab.study.schema import SCHEMA_PATH, StudyError, describe_error, schema

__all__ = ["SCHEMA_PATH", "STUDY_NAME", "StrictLoader", "Study", "StudyError", "check_study_name",
           "describe_error", "load_study", "schema", "study_from_dict"]
