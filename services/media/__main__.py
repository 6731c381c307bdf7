"""python -m services.media [--role api|worker|relay|all]"""

from services.media.app import SERVICE
from shared.service import main

main(SERVICE)
