"""python -m services.orders [--role api|worker|relay|all]"""

from services.orders.app import SERVICE
from shared.service import main

main(SERVICE)
