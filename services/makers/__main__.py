"""python -m services.makers [--role api|worker|relay|all]"""

from services.makers.app import SERVICE
from shared.service import main

main(SERVICE)
