"""python -m services.gateway [--role api|worker|relay|all]"""

from services.gateway.app import SERVICE
from shared.service import main

main(SERVICE)
