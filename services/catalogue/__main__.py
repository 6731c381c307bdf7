"""python -m services.catalogue [--role api|worker|relay|all]"""

from services.catalogue.app import SERVICE
from shared.service import main

main(SERVICE)
