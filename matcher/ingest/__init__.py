"""Reading the department's files: applicant tables, host catalogue, quota table.

Every reader returns what it could read plus a list of `Issue`s; bad input never raises.
"""

from matcher.ingest.applicants import read_applicants
from matcher.ingest.hosts import read_hosts
from matcher.ingest.quotas import read_quotas
from matcher.ingest.vocab import Vocabulary, VocabularyError, load_vocabulary

__all__ = [
    "Vocabulary",
    "VocabularyError",
    "load_vocabulary",
    "read_applicants",
    "read_hosts",
    "read_quotas",
]
